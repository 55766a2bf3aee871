using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Amp.Analyzers.Tests;

/// <summary>
/// Analyzer and code-fix tests that run offline: .NET 8 reference assemblies from Basic.Reference.Assemblies (no
/// download at test time), plus the Amp runtime and ILGPU. Sources start with the usings a model file has.
/// </summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public const string Usings = "using Amp;\nusing static Amp.Ops;\n";

    public static Task Analyzer(string source, params DiagnosticResult[] expected) => Analyzer(source, editorConfig: null, expected);

    /// <summary>With <paramref name="editorConfig"/> lines (severity settings) applied to the test project.</summary>
    public static Task Analyzer(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = Usings + source };
        Configure(test);
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*]\n" + editorConfig + "\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task Fix<TFix>(string source, string fixedSource, params DiagnosticResult[] expected)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier> { TestCode = Usings + source, FixedCode = Usings + fixedSource };
        Configure(test);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Warning);

    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = new ReferenceAssemblies(string.Empty);
        test.TestState.AdditionalReferences.AddRange(Net80.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(Amp.Tensor).Assembly.Location));
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location));
    }
}
