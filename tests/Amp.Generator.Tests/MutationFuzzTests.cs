using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Amp.Generator.Tests;

/// <summary>
/// Seeded mutation fuzzing of model sources: token deletions, duplications and swaps, literal and identifier
/// changes, attribute insertions. Whatever the mutant, the generator must not throw (no CS8785, no AMP1999), and a
/// mutant whose own source compiles must either get a located AMP error or generate code that compiles without
/// errors or warnings. The mutants are a fixed function of the seed, so a failure reproduces.
/// </summary>
public sealed class MutationFuzzTests
{
    private static readonly int Mutants = int.TryParse(Environment.GetEnvironmentVariable("AMP_FUZZ_MUTANTS"), out int n) ? n : 300;

    private static readonly string[] Seeds = [Models.Mlp("Bf16"), Models.EveryOp, Models.Gpt, Models.Variants, Models.Cnn];

    private static readonly string[] Literals = ["0", "-1", "1", "3", "64", "1 << 20", "int.MaxValue", "float.NaN", "1e-5f", "-0.5f", "Batch"];

    private static readonly string[] Identifiers = ["x", "h", "t2", "g4", "Plan", "i", "sink", "Batch", "fc1", "blocks", "Relu", "Softmax", "@in", "Block", "Attn"];

    private static readonly string[] Attributes = ["[KeepFp32]", "[Forward]", "[Loss]", "[Module]", "[Autocast(Precision.Fp16)]", "[Shape(Batch, 4)]", "[Classes(3)]"];

    /// <summary>300 mutants of seed 20261202 by default (about 12 s); AMP_FUZZ_MUTANTS and AMP_FUZZ_SEED set a longer or another search.</summary>
    [Fact]
    public void No_mutant_makes_the_generator_throw_or_emit_code_that_does_not_compile()
    {
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("AMP_FUZZ_SEED"), out int seed) ? seed : 20261202);
        var failures = new List<string>();
        int generatedAndCompiled = 0, refused = 0;
        for (int n = 0; n < Mutants; n++)
        {
            string original = Seeds[n % Seeds.Length];
            string mutant = Mutate(original, random, out string change);
            string? failure = Check(mutant, ref generatedAndCompiled, ref refused);
            if (failure is not null)
            {
                failures.Add($"mutant {n} ({change}): {failure}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(10)));

        // The mutants exercise both outcomes: many still generate (and are compiled), many are refused with AMP errors.
        Assert.True(generatedAndCompiled >= Mutants / 20, $"only {generatedAndCompiled} of {Mutants} mutants generated code");
        Assert.True(refused >= Mutants / 20, $"only {refused} of {Mutants} mutants were refused by the generator");
    }

    private static string? Check(string source, ref int generatedAndCompiled, ref int refused)
    {
        CSharpCompilation input = GeneratorHarness.Compile(source);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(input, out Microsoft.CodeAnalysis.Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is { } thrown)
        {
            return $"the generator threw {thrown.GetType().Name}: {thrown.Message}";
        }

        if (result.Diagnostics.FirstOrDefault(d => d.Id == "AMP1999") is { } internalError)
        {
            return internalError.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        }

        bool userSourceCompiles = !input.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error && !IsMissingGenerated(d));
        bool generatorRefused = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        refused += generatorRefused ? 1 : 0;
        if (!userSourceCompiles || generatorRefused)
        {
            return null;
        }

        generatedAndCompiled++;
        Diagnostic[] generated = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)
            .ToArray();
        return generated.Length == 0 ? null : $"generated code: {string.Join("; ", generated.Take(3))}\n{source}";
    }

    /// <summary>Errors the generated part itself resolves (a call to the generated Compile or Plan) do not count against the user's source.</summary>
    private static bool IsMissingGenerated(Diagnostic d) => d.Id is "CS0103" or "CS1061" or "CS0117" or "CS0246" or "CS8795" or "CS0759";

    private static string Mutate(string source, Random random, out string change)
    {
        SyntaxToken[] tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToArray();
        int kind = random.Next(6);

        // Literal and identifier changes pick a token of their kind: they mostly keep the source valid C#, so they
        // reach the generator's planning and emitting, where the deeper bugs live.
        SyntaxToken[] pool = kind switch
        {
            3 => tokens.Where(t => t.IsKind(SyntaxKind.NumericLiteralToken)).ToArray(),
            4 => tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken)).ToArray(),
            _ => tokens,
        };
        SyntaxToken token = pool[random.Next(pool.Length)];
        string text = token.Text;
        (string replacement, change) = kind switch
        {
            0 => (string.Empty, $"deleted '{text}'"),
            1 => (text + " " + text, $"duplicated '{text}'"),
            2 => (tokens[random.Next(tokens.Length)].Text, "swapped a token"),
            3 when token.IsKind(SyntaxKind.NumericLiteralToken) => (Literals[random.Next(Literals.Length)], $"literal {text}"),
            4 when token.IsKind(SyntaxKind.IdentifierToken) => (Identifiers[random.Next(Identifiers.Length)], $"identifier {text}"),
            _ => (Attributes[random.Next(Attributes.Length)] + " " + text, $"attribute before '{text}'"),
        };
        change += $" at {token.SpanStart}";
        return source[..token.SpanStart] + replacement + source[token.Span.End..];
    }
}
