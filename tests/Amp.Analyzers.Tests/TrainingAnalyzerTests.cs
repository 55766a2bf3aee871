using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Amp.Analyzers.Tests;

public sealed class OptimizerStateTests
{
    [Fact]
    public Task Sixteen_bit_masters_gradients_and_state_are_errors() =>
        Verify<OptimizerStateAnalyzer>.Analyzer("""
            public static class Loop
            {
                public static void Step(AmpDevice device, float[] init)
                {
                    var master = device.FromHost(init, Precision.Fp16, 4);
                    var gradient = device.Allocate(Precision.Fp32, 4);
                    var working = device.Allocate(Precision.Bf16, 4);
                    var m = device.Allocate(Precision.Bf16, 4);
                    var v = device.Allocate(Precision.Fp32, 4);
                    device.AdamWStep({|#0:master|}, gradient, {|#1:m|}, v, working, new AdamWHyperparameters(), 1);
                    var halfGradient = device.Allocate(Precision.Fp16, 4);
                    device.UnscaleAndCheck([gradient, {|#2:halfGradient|}], 0.5f);
                }
            }
            """,
            new DiagnosticResult("AMP0007", DiagnosticSeverity.Error).WithLocation(0).WithArguments("master", "AdamWStep", "FP16"),
            new DiagnosticResult("AMP0007", DiagnosticSeverity.Error).WithLocation(1).WithArguments("m", "AdamWStep", "BF16"),
            new DiagnosticResult("AMP0007", DiagnosticSeverity.Error).WithLocation(2).WithArguments("halfGradient", "UnscaleAndCheck", "FP16"));

    [Fact]
    public Task Fp32_state_and_low_precision_working_copies_are_fine() =>
        Verify<OptimizerStateAnalyzer>.Analyzer("""
            public static class Loop
            {
                public static void Step(AmpDevice device, DeviceTensor unknown)
                {
                    var master = device.Allocate(Precision.Fp32, 4);
                    var gradient = device.Allocate(Precision.Fp32, 4);
                    var working = device.Allocate(Precision.Fp16, 4);
                    device.SgdStep(master, gradient, null, working, new SgdHyperparameters(0.1f), 1);
                    device.SgdStep(unknown, gradient, null, null, new SgdHyperparameters(0.1f), 1);
                }
            }
            """);

    [Fact]
    public Task A_norm_taken_before_unscaling_is_flagged() =>
        Verify<OptimizerStateAnalyzer>.Analyzer("""
            public static class Loop
            {
                public static void Step(AmpDevice device, ILossScaler scaler, DeviceTensor[] gradients)
                {
                    double norm = {|#0:device.SquaredNorm(gradients)|};
                    bool overflow = device.UnscaleAndCheck(gradients, scaler.InverseScale);
                    double after = device.SquaredNorm(gradients);
                }
            }
            """,
            Verify<OptimizerStateAnalyzer>.Diagnostic("AMP0008").WithLocation(0));

    [Fact]
    public Task A_norm_after_unscaling_is_fine() =>
        Verify<OptimizerStateAnalyzer>.Analyzer("""
            public static class Loop
            {
                public static double Step(AmpDevice device, ILossScaler scaler, DeviceTensor[] gradients)
                {
                    device.UnscaleAndCheck(gradients, scaler.InverseScale);
                    return device.SquaredNorm(gradients);
                }
            }
            """);
}

public sealed class RedundantKeepFp32Tests
{
    [Fact]
    public Task KeepFp32_that_changes_nothing_is_reported_when_enabled() =>
        Verify<RedundantKeepFp32Analyzer>.Analyzer(
            """
            [Autocast(Precision.Bf16)]
            public partial class M
            {
                [{|#0:KeepFp32|}] readonly LayerNorm ln = new(8);
                [KeepFp32] readonly Linear head = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => head.Apply(Scores(ln.Apply(x)));

                [{|#1:KeepFp32|}]
                Tensor Scores(Tensor h) => Softmax(h) + h;
            }

            [Autocast(Precision.Fp32)]
            public partial class F
            {
                [{|#2:KeepFp32|}] readonly Linear fc = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => fc.Apply(x);
            }
            """,
            "dotnet_diagnostic.AMP0009.severity = suggestion",
            new DiagnosticResult("AMP0009", DiagnosticSeverity.Info).WithLocation(0).WithArguments("field ln", "LayerNorm runs in FP32 by policy"),
            new DiagnosticResult("AMP0009", DiagnosticSeverity.Info).WithLocation(1).WithArguments("method Scores", "none of its ops would run in low precision"),
            new DiagnosticResult("AMP0009", DiagnosticSeverity.Info).WithLocation(2).WithArguments("field fc", "F is autocast to FP32"));

    [Fact]
    public void Is_an_info_off_by_default()
    {
        Assert.False(AnalyzerDescriptors.RedundantKeepFp32.IsEnabledByDefault);
        Assert.Equal(DiagnosticSeverity.Info, AnalyzerDescriptors.RedundantKeepFp32.DefaultSeverity);
    }
}
