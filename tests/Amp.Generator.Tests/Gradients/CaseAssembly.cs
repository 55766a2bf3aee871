using System.Reflection;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests.Gradients;

/// <summary>
/// Every model of the gradient table, compiled once: the sources go through the generator exactly as in a user's
/// build (one syntax tree per model, so a diagnostic names its case), the output is emitted to memory and loaded.
/// </summary>
internal static class CaseAssembly
{
    private static readonly Lazy<(Assembly? Assembly, string Errors)> Compiled = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IReadOnlyList<CaseModel> Models { get; } = OpCases.All.SelectMany(r => r.Models()).ToList();

    /// <summary>The compiled model class of a case; fails the test with the generator's or compiler's errors.</summary>
    public static Type TypeOf(CaseModel model)
    {
        (Assembly? assembly, string errors) = Compiled.Value;
        Assert.True(assembly is not null, errors);
        return assembly!.GetType($"GradientCases.{model.ClassName}", throwOnError: true)!;
    }

    private static (Assembly?, string) Compile()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation input = GeneratorHarness.Compile([.. Models.Select(m => m.Source())]);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(input, out Microsoft.CodeAnalysis.Compilation output, out _);
        var problems = driver.GetRunResult().Diagnostics
            .Concat(output.GetDiagnostics())
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{Describe(d)}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
        if (problems.Count > 0)
        {
            return (null, string.Join("\n", problems.Take(40)));
        }

        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = output.Emit(stream);
        if (!emitted.Success)
        {
            return (null, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(40)));
        }

        return (Assembly.Load(stream.ToArray()), string.Empty);
    }

    /// <summary>The case a diagnostic belongs to (tree ModelN.cs is the Nth model), or the generated file's name.</summary>
    private static string Describe(Diagnostic d)
    {
        string path = d.Location.SourceTree?.FilePath ?? string.Empty;
        string file = Path.GetFileNameWithoutExtension(path);
        return file.StartsWith("Model", StringComparison.Ordinal) && int.TryParse(file.AsSpan(5), out int i) && i < Models.Count
            ? $"{Models[i].ClassName} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}"
            : Path.GetFileName(path);
    }
}
