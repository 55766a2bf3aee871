using Amp.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Amp.Analyzers.Tests;

public sealed class HalfAccumulationTests
{
    [Fact]
    public Task Fires_on_half_running_sums_in_user_code() =>
        Verify<HalfAccumulationAnalyzer>.Analyzer("""
            public static class C
            {
                public static System.Half Sum(System.Half[] values)
                {
                    System.Half total = default;
                    foreach (System.Half v in values)
                    {
                        {|#0:total += v|};
                    }

                    System.Half other = default;
                    for (int i = 0; i < values.Length; i++)
                    {
                        {|#1:other = other + values[i]|};
                    }

                    return total + other;
                }

                public static void Kernel(ILGPU.Half[] data, ILGPU.Half x)
                {
                    {|#2:data[0] += x|};
                }
            }
            """,
            Verify<HalfAccumulationAnalyzer>.Diagnostic("AMP0003").WithLocation(0).WithArguments("total", "System.Half"),
            Verify<HalfAccumulationAnalyzer>.Diagnostic("AMP0003").WithLocation(1).WithArguments("other", "System.Half"),
            Verify<HalfAccumulationAnalyzer>.Diagnostic("AMP0003").WithLocation(2).WithArguments("data[0]", "ILGPU.Half"));

    [Fact]
    public Task The_fix_accumulates_a_local_in_float_and_keeps_its_readers_typed() =>
        Verify<HalfAccumulationAnalyzer>.Fix<AccumulateInFloatFix>(
            """
            public static class C
            {
                public static System.Half Sum(System.Half[] values)
                {
                    System.Half total = default;
                    foreach (System.Half v in values)
                    {
                        {|#0:total += v|};
                    }

                    System.Half other = values[0];
                    for (int i = 1; i < values.Length; i++)
                    {
                        {|#1:other = other + values[i]|};
                    }

                    return total + other;
                }
            }
            """,
            """
            public static class C
            {
                public static System.Half Sum(System.Half[] values)
                {
                    float total = 0f;
                    foreach (System.Half v in values)
                    {
                        total += (float)(v);
                    }

                    float other = (float)(values[0]);
                    for (int i = 1; i < values.Length; i++)
                    {
                        other = other + (float)(values[i]);
                    }

                    return ((System.Half)total) + ((System.Half)other);
                }
            }
            """,
            Verify<HalfAccumulationAnalyzer>.Diagnostic("AMP0003").WithLocation(0).WithArguments("total", "System.Half"),
            Verify<HalfAccumulationAnalyzer>.Diagnostic("AMP0003").WithLocation(1).WithArguments("other", "System.Half"));

    [Fact]
    public Task Quiet_for_float_sums_and_one_off_half_arithmetic() =>
        Verify<HalfAccumulationAnalyzer>.Analyzer("""
            public static class C
            {
                public static System.Half Sum(System.Half[] values)
                {
                    float total = 0;
                    foreach (System.Half v in values)
                    {
                        total += (float)v;
                    }

                    System.Half a = values[0];
                    a = a + values[1];           // not in a loop: one rounding, not a running sum
                    System.Half b = default;
                    for (int i = 0; i < values.Length; i++)
                    {
                        b = values[i] + values[0]; // overwritten, not accumulated
                    }

                    return (System.Half)total + a + b;
                }
            }
            """);
}

public sealed class HalfConstantTests
{
    [Fact]
    public Task Names_what_each_constant_becomes() =>
        Verify<HalfConstantAnalyzer>.Analyzer("""
            public static class C
            {
                public static System.Half[] Values() =>
                [
                    {|#0:(System.Half)70000f|},
                    {|#1:(System.Half)1e-8f|},
                    {|#2:(System.Half)1e-6|},
                    {|#3:(System.Half)(-65519.0)|},
                    (System.Half)65504f,
                    (System.Half)6.2e-5f,
                    (System.Half)0f,
                ];
            }
            """,
            Verify<HalfConstantAnalyzer>.Diagnostic("AMP0004").WithLocation(0).WithArguments("70000f", "+infinity (FP16's largest finite value is 65504)"),
            Verify<HalfConstantAnalyzer>.Diagnostic("AMP0004").WithLocation(1).WithArguments("1e-8f", "0 (below FP16's smallest subnormal, 5.96e-8)"),
            Verify<HalfConstantAnalyzer>.Diagnostic("AMP0004").WithLocation(2).WithArguments("1e-6", "1.01328E-06 (a subnormal below 6.10e-5, 5 significant bits instead of 11)"),
            Verify<HalfConstantAnalyzer>.Diagnostic("AMP0004").WithLocation(3).WithArguments("-65519.0", "-65504 (rounded to FP16's largest finite value)"));

    [Theory]
    [InlineData(65520.0, "+infinity (FP16's largest finite value is 65504)")]
    [InlineData(3e-8, "5.96046E-08 (a subnormal below 6.10e-5, 1 significant bit instead of 11)")]
    [InlineData(2.9e-8, "0 (below FP16's smallest subnormal, 5.96e-8)")]
    public void Matches_what_System_Half_does(double value, string expected)
    {
        Assert.Equal(expected, HalfConstantAnalyzer.Describe(value));
        double actual = (double)(Half)value;
        Assert.StartsWith(double.IsInfinity(actual) ? "+infinity" : actual.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), expected);
    }
}

public sealed class LossScalingTests
{
    private const string Models = """
        [Autocast(Precision.Fp16)]
        public partial class Half16
        {
            public object Compile(AmpDevice device, TrainingOptions? options = null) => options!;
        }

        [Autocast(Precision.Bf16)]
        public partial class Brain16
        {
            public object Compile(AmpDevice device, TrainingOptions? options = null) => options!;

            public object Compile(AmpDevice device, Precision autocast, TrainingOptions? options = null) => options!;
        }

        """;

    [Fact]
    public Task Fp16_without_scaling_is_flagged_and_fixed() =>
        Verify<LossScalingAnalyzer>.Fix<EnableLossScalingFix>(
            Models + """
            public static class Train
            {
                public static void Run(AmpDevice device)
                {
                    new Half16().Compile(device, new TrainingOptions { Scaler = {|#0:LossScaler.Disabled()|} });
                    var options = new TrainingOptions { MaxGradNorm = 1f, Scaler = {|#1:new LossScaler(enabled: false)|} };
                    new Half16().Compile(device, options);
                    new Brain16().Compile(device, Precision.Fp16, new TrainingOptions { Scaler = {|#2:LossScaler.Disabled()|} });
                }
            }
            """,
            Models + """
            public static class Train
            {
                public static void Run(AmpDevice device)
                {
                    new Half16().Compile(device, new TrainingOptions { Scaler = new LossScaler() });
                    var options = new TrainingOptions { MaxGradNorm = 1f, Scaler = new LossScaler() };
                    new Half16().Compile(device, options);
                    new Brain16().Compile(device, Precision.Fp16, new TrainingOptions { Scaler = new LossScaler() });
                }
            }
            """,
            Verify<LossScalingAnalyzer>.Diagnostic("AMP0005").WithLocation(0).WithArguments("Half16"),
            Verify<LossScalingAnalyzer>.Diagnostic("AMP0005").WithLocation(1).WithArguments("Half16"),
            Verify<LossScalingAnalyzer>.Diagnostic("AMP0005").WithLocation(2).WithArguments("Brain16"));

    [Fact]
    public Task Quiet_for_dynamic_scaling_and_for_bf16_without_a_scaler() =>
        Verify<LossScalingAnalyzer>.Analyzer(Models + """
            public static class Train
            {
                public static void Run(AmpDevice device)
                {
                    new Half16().Compile(device, new TrainingOptions { Scaler = new LossScaler(initScale: 1024f) });
                    new Half16().Compile(device);
                    new Brain16().Compile(device, new TrainingOptions { Scaler = LossScaler.Disabled() });
                }
            }
            """);

    [Fact]
    public async Task An_enabled_scaler_on_a_bf16_model_is_an_info_hidden_by_default()
    {
        const string code = """
            public static class Train
            {
                public static void Run(AmpDevice device) => new Brain16().Compile(device, new TrainingOptions { Scaler = {|#0:new LossScaler()|} });
            }
            """;
        // The test harness turns every rule on; the default (off, info) is the descriptor's, checked below.
        Assert.False(AnalyzerDescriptors.ScalerNotNeeded.IsEnabledByDefault);
        Assert.Equal(DiagnosticSeverity.Info, AnalyzerDescriptors.ScalerNotNeeded.DefaultSeverity);
        await Verify<LossScalingAnalyzer>.Analyzer(
            Models + code,
            "dotnet_diagnostic.AMP0006.severity = suggestion",
            new DiagnosticResult("AMP0006", DiagnosticSeverity.Info).WithLocation(0).WithArguments("Brain16", "BF16"));
    }
}
