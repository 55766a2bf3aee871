using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Amp.Generator.Tests;

/// <summary>Runs the generator on source text, offline (reference assemblies from Basic.Reference.Assemblies).</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] References =
    [
        .. Net80.References.All,
        MetadataReference.CreateFromFile(typeof(Amp.Tensor).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
    ];

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "Models",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"Model{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new AmpGenerator().AsSourceGenerator()],
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>The generated files, the generator's diagnostics and the diagnostics of the compiled output.</summary>
    public static (ImmutableArray<GeneratedSourceResult> Sources, ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Output) Run(params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(input, out Microsoft.CodeAnalysis.Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        return (result.GeneratedSources, result.Diagnostics, output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray());
    }
}
