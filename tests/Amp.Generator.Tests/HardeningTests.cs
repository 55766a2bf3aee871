using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>
/// Odd but valid models, one per class of generator failure once seen (a stack overflow, a hang, a throw, generated
/// code that does not compile, a silent acceptance): each now compiles cleanly or gets a located AMP error, and the
/// generator never throws.
/// </summary>
public sealed class HardeningTests
{
    private const string Header = "using Amp;\nusing static Amp.Ops;\nnamespace Demo;\n";
    private const string Mlp = "readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t);";

    public static TheoryData<string, string, string> Refused => new()
    {
        { "autocast and module", "AMP1002", "[Autocast(Precision.Bf16), Module] public partial class M { " + Mlp + " }" },
        { "autocast on two parts", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { " + Mlp + " } [Autocast(Precision.Fp32)] public partial class M { }" },
        { "a forward and a loss input of one name", "AMP1008", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor x) => MseLoss(o, x); }" },
        { "a second forward", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { " + Mlp + " [Forward] public Tensor G([Shape(Batch, 4)] Tensor y) => fc.Apply(y); }" },
        { "forward and loss on one method", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward, Loss] public Tensor F([Shape(Batch, 4)] Tensor x) => Mean(Mean(fc.Apply(x))); }" },
        { "a partial record model", "AMP1002", "[Autocast(Precision.Bf16)] public partial record M { " + Mlp + " }" },
        { "a partial record module", "AMP1002", "[Module] public partial record B { readonly Linear fc = new(4, 4); [Forward] public Tensor Apply(Tensor x) => fc.Apply(x); } [Autocast(Precision.Bf16)] public partial class M { readonly B b = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => b.Apply(x); }" },
        { "a precision that does not exist", "AMP1009", "[Autocast((Precision)7)] public partial class M { " + Mlp + " }" },
        { "Linear(4, 0)", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 0); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "Linear(4, -8)", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, -8); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "Embedding(-5, 4)", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Embedding emb = new(-5, 4); [Forward] public Tensor F([Shape(Batch, 3)] Tokens ids) => emb.Apply(ids); }" },
        { "Linear(4, int.MaxValue)", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, int.MaxValue); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "Linear(1 << 20, 1 << 20)", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(1 << 20, 1 << 20); [Forward] public Tensor F([Shape(Batch, 1048576)] Tensor x) => fc.Apply(x); }" },
        { "BatchNorm2d momentum 2", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly BatchNorm2d bn = new(4, momentum: 2f); [Forward] public Tensor F([Shape(Batch, 4, 2, 2)] Tensor x) => bn.Apply(x); }" },
        { "BatchNorm2d channels 0", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly BatchNorm2d bn = new(0); [Forward] public Tensor F([Shape(Batch, 4, 2, 2)] Tensor x) => bn.Apply(x); }" },
        { "BatchNorm2d on [Batch, 4]", "AMP1005", "[Autocast(Precision.Bf16)] public partial class M { readonly BatchNorm2d bn = new(4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => bn.Apply(x); }" },
        { "Dropout layer p 1", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly Dropout drop = new(1f); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => drop.Apply(x); }" },
        { "LayerNorm eps NaN", "AMP1009", "[Autocast(Precision.Bf16)] public partial class M { readonly LayerNorm ln = new(4, eps: float.NaN); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => ln.Apply(x); }" },
        { "Repeat(-1)", "AMP1009", Blocks("Repeat<B>(-1)") },
        { "Repeat(1 << 20)", "AMP1009", Blocks("Repeat<B>(1 << 20)") },
        { "Repeat(int.MaxValue)", "AMP1009", Blocks("Repeat<B>(int.MaxValue)") },
        { "more ops than a model may hold", "AMP1002", "[Module] public partial class B { readonly Linear fc = new(4, 4); [Forward] public Tensor Apply(Tensor x) { " + string.Concat(Enumerable.Repeat("x = Relu(x) + x; ", 13)) + "return fc.Apply(x); } } [Autocast(Precision.Bf16)] public partial class M { readonly B[] blocks = Repeat<B>(4096); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) { foreach (var b in blocks) x = b.Apply(x); return x; } }" },
        { "a module holding itself", "AMP1006", "[Module] public partial class B { readonly Linear fc = new(4, 4); readonly B? inner = null; [Forward] public Tensor Apply(Tensor x) => fc.Apply(x); } [Autocast(Precision.Bf16)] public partial class M { readonly B b = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => b.Apply(x); }" },
        { "a module holding an array of itself", "AMP1006", "[Module] public partial class B { readonly Linear fc = new(4, 4); readonly B[] more = Repeat<B>(2); [Forward] public Tensor Apply(Tensor x) => fc.Apply(x); } [Autocast(Precision.Bf16)] public partial class M { readonly B b = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => b.Apply(x); }" },
        { "a field named Plan", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear Plan = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => Plan.Apply(x); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t); }" },
        { "fields named Compile and Compiled", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear Compile = new(4, 4); readonly Linear Compiled = new(4, 4); readonly Linear sink = new(4, 4); readonly Linear prefix = new(4, 4); readonly Linear i = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => i.Apply(prefix.Apply(sink.Apply(Compiled.Apply(Compile.Apply(x))))); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t); }" },
        { "a field named CollectAmpParameters", "AMP1002", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear CollectAmpParameters = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => CollectAmpParameters.Apply(x); }" },
        { "a file-local model", "AMP1002", "[Autocast(Precision.Bf16)] file partial class M { " + Mlp + " }" },
        { "a model deriving from a model", "AMP1002", "[Autocast(Precision.Bf16)] public partial class Base { " + Mlp + " } [Autocast(Precision.Bf16)] public partial class M : Base { }" },
        { "a nested module as a field", "AMP1002", "public static partial class Outer { [Module] public partial class B { readonly Linear fc = new(4, 4); [Forward] public Tensor Apply(Tensor x) => fc.Apply(x); } } [Autocast(Precision.Bf16)] public partial class M { readonly Outer.B b = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => b.Apply(x); }" },
        { "an inherited layer", "AMP1002", "public class Base { protected readonly Linear fc = new(4, 4); } [Autocast(Precision.Bf16)] public partial class M : Base { [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "two modules holding each other", "AMP1006", "[Module] public partial class B { readonly C c = new(); [Forward] public Tensor Apply(Tensor x) => x; } [Module] public partial class C { readonly B b = new(); [Forward] public Tensor Apply(Tensor x) => x; } [Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); readonly B b = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => b.Apply(fc.Apply(x)); }" },
    };

    public static TheoryData<string, string> Compiles => new()
    {
        { "a NaN constant", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => Scale(fc.Apply(x), float.NaN); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t); }" },
        { "an infinite constant", "[Autocast(Precision.Fp32)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x) * float.PositiveInfinity; [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t); }" },
        { "fields named sink, prefix, i and parameter", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear sink = new(4, 4); readonly Linear prefix = new(4, 4); readonly Linear i = new(4, 4); readonly Linear parameter = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => parameter.Apply(i.Apply(prefix.Apply(sink.Apply(x)))); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(o, t); }" },
        { "a module field a with a field b and a field a_b", "[Module] public partial class A { readonly Linear b = new(4, 4); [Forward] public Tensor Apply(Tensor x) => b.Apply(x); } [Autocast(Precision.Bf16)] public partial class M { readonly A a = new(); readonly Linear a_b = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => a_b.Apply(a.Apply(x)); }" },
        { "keyword identifiers", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear @class = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor @in) => @class.Apply(@in); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor @out) => MseLoss(o, @out); }" },
        { "a forward that returns its input", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => x; }" },
        { "a loss that uses no parameter", "[Autocast(Precision.Fp32)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); [Loss] public Tensor L(Tensor o, [Shape(Batch, 4)] Tensor t) => MseLoss(t, t); }" },
        { "a helper with an optional tensor", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => H(fc.Apply(x)); Tensor H(Tensor a, Tensor? b = null) => Relu(a); }" },
        { "a nullable module field", "[Module] public partial class A { readonly Linear b = new(4, 4); [Forward] public Tensor Apply(Tensor x) => b.Apply(x); } [Autocast(Precision.Bf16)] public partial class M { readonly A? a = new(); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => a!.Apply(x); }" },
        { "weights past 2^31 elements together", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear a = new(46000, 46000); readonly Linear b = new(46000, 46000); [Forward] public Tensor F([Shape(Batch, 46000)] Tensor x) => b.Apply(a.Apply(x)); }" },
        { "a verbatim namespace", "namespace @event.@class;\n[Autocast(Precision.Bf16)] public partial class M { " + Mlp + " }" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refused_with_a_located_error_and_no_throw(string what, string id, string model)
    {
        (Diagnostic[] generator, Exception? thrown, _, _) = Run(model);
        Assert.True(thrown is null, $"{what}: the generator threw {thrown}");
        Diagnostic[] errors = generator.Where(d => d.Id == id).ToArray();
        Assert.True(errors.Length > 0, $"{what}: no {id}; got {string.Join("; ", generator.Select(d => d.ToString()))}");
        foreach (Diagnostic error in errors)
        {
            FileLinePositionSpan at = error.Location.GetLineSpan();
            Assert.True(error.Location != Location.None && at.Path.EndsWith("Model0.cs", StringComparison.Ordinal), $"{what}: {id} has no source location");
        }

        Assert.DoesNotContain(generator, d => d.Id == "AMP1999");
    }

    [Fact]
    public void A_broken_inner_call_is_blamed_not_the_op_around_it()
    {
        (Diagnostic[] generator, Exception? thrown, _, _) = Run("[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => Relu(fcl.Apply(x)); }");
        Assert.Null(thrown);
        Diagnostic error = Assert.Single(generator);
        Assert.Equal("AMP1004", error.Id);
        Assert.Contains("'fcl'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain("'Relu'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_inherited_layer_is_named_as_inherited()
    {
        (Diagnostic[] generator, _, _, _) = Run("public class Base { protected readonly Linear fc = new(4, 4); } [Autocast(Precision.Bf16)] public partial class M : Base { [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }");
        Assert.Contains(generator, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("inherited from 'Base'", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Compiles))]
    public void Compiles_without_errors_or_warnings_in_generated_code(string what, string model)
    {
        (Diagnostic[] generator, Exception? thrown, Diagnostic[] errors, Diagnostic[] generatedWarnings) = Run(model);
        Assert.True(thrown is null, $"{what}: the generator threw {thrown}");
        Assert.Empty(generator);
        Assert.Empty(errors);
        Assert.Empty(generatedWarnings);
    }

    private static string Blocks(string repeat) =>
        "[Module] public partial class B { readonly Linear fc = new(4, 4); [Forward] public Tensor Apply(Tensor x) => fc.Apply(x); } " +
        $"[Autocast(Precision.Bf16)] public partial class M {{ readonly B[] blocks = {repeat}; [Forward] public Tensor F([Shape(Batch, 4)] Tensor x) => blocks[0].Apply(x); }}";

    /// <summary>The generator's diagnostics, whether it threw, the output's errors, and warnings inside generated files.</summary>
    internal static (Diagnostic[] Generator, Exception? Thrown, Diagnostic[] Errors, Diagnostic[] GeneratedWarnings) Run(string model)
    {
        string header = model.StartsWith("namespace ", StringComparison.Ordinal) ? "using Amp;\nusing static Amp.Ops;\n" : Header;
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation input = GeneratorHarness.Compile(header + model);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(input, out Microsoft.CodeAnalysis.Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Diagnostic[] all = [.. output.GetDiagnostics()];
        return (
            [.. result.Diagnostics],
            result.Exception,
            [.. all.Where(d => d.Severity == DiagnosticSeverity.Error)],
            [.. all.Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)]);
    }
}
