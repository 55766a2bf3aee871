using Amp.Analyzers.CodeFixes;

namespace Amp.Analyzers.Tests;

public sealed class Fp32OpInFp16Tests
{
    private const string Model = """
        [Autocast(Precision.Fp16)]
        public partial class M
        {
            readonly Linear fc = new(8, 4);

            [Forward]
            public Tensor Run([Shape(Batch, 8)] Tensor x) => {|#0:Softmax(fc.Apply(x), precision: Precision.Fp16)|};

            public Tensor Other(Tensor x) => {|#1:Exp(x, precision: Precision.Fp16)|};
        }
        """;

    [Fact]
    public Task Fires_on_an_fp32_op_forced_into_fp16_and_the_fix_removes_the_override() =>
        Verify<Fp32OpInFp16Analyzer>.Fix<RemovePrecisionOverrideFix>(
            Model.Replace("{|#1:Exp(x, precision: Precision.Fp16)|}", "Exp(x)"),
            Model.Replace("{|#0:Softmax(fc.Apply(x), precision: Precision.Fp16)|}", "Softmax(fc.Apply(x))").Replace("{|#1:Exp(x, precision: Precision.Fp16)|}", "Exp(x)"),
            Verify<Fp32OpInFp16Analyzer>.Diagnostic("AMP0001").WithLocation(0).WithArguments("Softmax", "explicit precision: FP16"));

    /// <summary>The rule reads the op table: an op added to the FP32 list there (Softplus) is policed with no change here.</summary>
    [Fact]
    public Task Fires_for_every_op_on_the_tables_fp32_list() =>
        Verify<Fp32OpInFp16Analyzer>.Analyzer("""
            [Autocast(Precision.Fp16)]
            public partial class M
            {
                readonly Linear fc = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => {|#0:Softplus(fc.Apply(x), precision: Precision.Fp16)|};
            }
            """,
            Verify<Fp32OpInFp16Analyzer>.Diagnostic("AMP0001").WithLocation(0).WithArguments("Softplus", "explicit precision: FP16"));

    [Fact]
    public Task Quiet_for_low_precision_ops_fp32_overrides_and_code_outside_the_graph() =>
        Verify<Fp32OpInFp16Analyzer>.Analyzer("""
            [Autocast(Precision.Fp16)]
            public partial class M
            {
                readonly Linear fc = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => Softmax(MatMul(fc.Apply(x), Transpose(fc.Apply(x)), precision: Precision.Fp16), precision: Precision.Fp32);

                // Not reachable from [Forward] or [Loss]: not part of the model the generator builds.
                public Tensor Other(Tensor x) => Exp(x, precision: Precision.Fp16);
            }
            """);

    [Fact]
    public Task Follows_helper_methods_as_the_generator_does_and_fixes_all() =>
        Verify<Fp32OpInFp16Analyzer>.Fix<RemovePrecisionOverrideFix>(
            """
            [Autocast(Precision.Fp16)]
            public partial class M
            {
                readonly Linear fc = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => Normalise(fc.Apply(x));

                Tensor Normalise(Tensor h) => {|#0:Log(Sum(h), precision: Precision.Fp16)|} + {|#1:Mean(h, precision: Precision.Fp16)|};
            }
            """,
            """
            [Autocast(Precision.Fp16)]
            public partial class M
            {
                readonly Linear fc = new(8, 4);

                [Forward]
                public Tensor Run([Shape(Batch, 8)] Tensor x) => Normalise(fc.Apply(x));

                Tensor Normalise(Tensor h) => Log(Sum(h)) + Mean(h);
            }
            """,
            Verify<Fp32OpInFp16Analyzer>.Diagnostic("AMP0001").WithLocation(0).WithArguments("Log", "explicit precision: FP16"),
            Verify<Fp32OpInFp16Analyzer>.Diagnostic("AMP0001").WithLocation(1).WithArguments("Mean", "explicit precision: FP16"));
}

public sealed class LogOfSoftmaxTests
{
    [Fact]
    public Task Log_of_softmax_becomes_log_softmax() =>
        Verify<LogOfSoftmaxAnalyzer>.Fix<UseLogSoftmaxFix>(
            """
            public static class C
            {
                public static Tensor F(Tensor x) => {|#0:Log(Softmax(x))|} + {|#1:Ops.Log(Ops.Softmax(x, precision: Precision.Fp32))|};
            }
            """,
            """
            public static class C
            {
                public static Tensor F(Tensor x) => LogSoftmax(x) + Ops.LogSoftmax(x, precision: Precision.Fp32);
            }
            """,
            Verify<LogOfSoftmaxAnalyzer>.Diagnostic("AMP0002").WithLocation(0),
            Verify<LogOfSoftmaxAnalyzer>.Diagnostic("AMP0002").WithLocation(1));

    [Fact]
    public Task Log_of_sigmoid_is_flagged_without_a_fix() =>
        Verify<LogOfSoftmaxAnalyzer>.Analyzer(
            """
            public static class C
            {
                public static Tensor F(Tensor z) => {|#0:Log(Sigmoid(z))|} + Sigmoid(Log(z));
            }
            """,
            Verify<LogOfSoftmaxAnalyzer>.Diagnostic("AMP0010").WithLocation(0));

    [Fact]
    public Task Quiet_for_log_softmax_and_log_of_other_ops() =>
        Verify<LogOfSoftmaxAnalyzer>.Analyzer("""
            public static class C
            {
                public static Tensor F(Tensor x) => LogSoftmax(x) + Log(Exp(x)) + Softmax(Log(x));
            }
            """);
}
