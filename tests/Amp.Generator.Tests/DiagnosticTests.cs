using Amp.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>One case per AMP1xxx diagnostic: the id, the location (the snapshot shows line and column) and the message.</summary>
public sealed class DiagnosticTests
{
    private const string Header = "using Amp;\nusing static Amp.Ops;\nnamespace Demo;\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "AMP1001", "NotPartial", "[Autocast(Precision.Bf16)] public class M { readonly Linear fc = new(4, 4); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "AMP1002", "Unsupported", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) { if (x.Length > 0) { return x; } return fc.Apply(x); } }" },
        { "AMP1003", "NonConstant", "[Autocast(Precision.Bf16)] public partial class M { static int width = 4; readonly Linear fc = new(4, width); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "AMP1004", "UnknownOp", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => Helpers.Twice(x); } static class Helpers { public static Tensor Twice(Tensor x) => x; }" },
        { "AMP1005", "ShapeMismatch", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc1 = new(4, 8); readonly Linear fc2 = new(4, 2); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => fc2.Apply(fc1.Apply(x)); }" },
        { "AMP1005", "ConvChannels", "[Autocast(Precision.Bf16)] public partial class M { readonly Conv2d conv = new(3, 8, 3); [Forward] Tensor F([Shape(Batch, 1, 8, 8)] Tensor x) => conv.Apply(x); }" },
        { "AMP1009", "DropoutProbability", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => Dropout(x, 1f); }" },
        { "AMP1009", "ConvGroups", "[Autocast(Precision.Bf16)] public partial class M { readonly Conv2d conv = new(4, 8, 3, groups: 3); [Forward] Tensor F([Shape(Batch, 4, 8, 8)] Tensor x) => conv.Apply(x); }" },
        { "AMP1005", "TransposeBatch", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 3, 4)] Tensor x) => Transpose(x, 0, 2); }" },
        { "AMP1005", "CatMismatch", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 3, 4)] Tensor x, [Shape(Batch, 2, 4)] Tensor y) => Cat([x, y], -1); }" },
        { "AMP1005", "SplitPastTheEnd", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => Split(x, 2, -1)[2]; }" },
        { "AMP1005", "KeyPaddingMaskShape", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 6, 8)] Tensor x, [Shape(Batch, 8)] Tensor pad) => Attention(x, x, x, heads: 2, keyPaddingMask: pad); }" },
        { "AMP1005", "PoolWindowTooLarge", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 3, 2, 2)] Tensor x) => MaxPool2d(x, 3); }" },
        { "AMP1006", "Recursion", "[Autocast(Precision.Bf16)] public partial class M { [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => G(x); Tensor G(Tensor x) => H(x); Tensor H(Tensor x) => G(x); }" },
        { "AMP1007", "NoForward", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); Tensor F(Tensor x) => fc.Apply(x); }" },
        { "AMP1009", "OutOfRange", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 0); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }" },
        { "AMP1008", "InvalidInput", "[Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); [Forward] Tensor F([Shape(4)] Tensor x) => fc.Apply(x); }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_at_the_offending_code(string id, string name, string model)
    {
        var (sources, generator, _) = GeneratorHarness.Run(Header + model);
        Assert.Empty(sources.Where(s => s.HintName.Contains("Demo.M.")));
        Diagnostic diagnostic = Assert.Single(generator);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        // Built without -p:AmpRepositoryUrl: the relative path that the repository and the package both hold, no invented site.
        Assert.Equal($"docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
        Snapshot.Verify(Describe(diagnostic, Header + model), $"{id}.{name}");
    }

    [Fact]
    public void An_internal_error_becomes_AMP1999_not_an_exception()
    {
        ModelParser.FaultInjection = name => { if (name == "Faulty") { throw new InvalidOperationException("injected fault"); } };
        try
        {
            var (sources, generator, _) = GeneratorHarness.Run(Header + "[Autocast(Precision.Bf16)] public partial class Faulty { [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => Relu(x); }");
            Diagnostic diagnostic = Assert.Single(generator);
            Assert.Equal("AMP1999", diagnostic.Id);
            Assert.Contains("injected fault", diagnostic.GetMessage());
            Assert.Empty(sources);
            Snapshot.Verify(Describe(diagnostic, string.Empty), "AMP1999.InternalError");
        }
        finally
        {
            ModelParser.FaultInjection = null;
        }
    }

    private static string Describe(Diagnostic d, string source)
    {
        string at = source.Length >= d.Location.SourceSpan.End ? source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length) : string.Empty;
        FileLinePositionSpan span = d.Location.GetLineSpan();
        return $"// {d.Id} ({d.Severity}) at {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): " +
               $"{d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}\n// at: {at}\n";
    }

    internal static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Amp.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Amp.sln not found above the test output.");
    }
}
