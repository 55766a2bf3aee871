using System.Text.RegularExpressions;

namespace Amp.Generator.Tests;

/// <summary>
/// A gradient is zeroed only where its first writer does not cover it: the first statement to reach it writes it
/// (a product with beta 0, a chain's backward with overwrite, a copy) and is declared with run.GradientToWrite; every
/// later contribution adds. The gradient table (Gradients/) checks the values; this checks the statements.
/// </summary>
public sealed class GradientZeroingTests
{
    // h feeds two Linears and a residual add: three contributions to its gradient, in backward order the add's chain,
    // then b, then a.
    private const string Source = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Fp32)]
        public partial class Fan
        {
            readonly Linear stem = new(8, 16);
            readonly Linear a = new(16, 16);
            readonly Linear b = new(16, 16);
            readonly Linear head = new(16, 4);

            [Forward]
            public Tensor Logits([Shape(Batch, 8)] Tensor x)
            {
                var h = Relu(stem.Apply(x));
                return head.Apply(Gelu(a.Apply(h) + b.Apply(h)) + h);
            }

            [Loss]
            public Tensor Loss(Tensor logits, [Classes(4)] Labels y) => CrossEntropy(logits, y);
        }
        """;

    private static string Backward()
    {
        var (sources, generator, output) = GeneratorHarness.Run(Source);
        Assert.Empty(generator);
        Assert.True(output.IsEmpty, string.Join("\n", output));
        string text = sources.Single(s => s.HintName == "Demo.Fan.Amp.g.cs").SourceText.ToString();
        if (Environment.GetEnvironmentVariable("AMP_DUMP") == "1")
        {
            File.WriteAllText("/tmp/Demo.Fan.Amp.g.cs", text);
        }

        int start = text.IndexOf("protected override void RunBackward", StringComparison.Ordinal);
        return text[start..text.IndexOf("\n            }\n", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void The_first_writer_writes_and_later_contributions_add()
    {
        string code = Backward();

        // head's input gradient: written by the product, never zeroed.
        Assert.Matches(@"var (g\d+) = run\.GradientToWrite\([^;]*;\s*// [^\n]*backward of head \(Linear\)\s*device\.Gemm\([^;]*\1\.Reshape\(B, 16\)\);", code);

        // h's gradient: written once (the residual chain's backward, overwrite: true), then a's and b's products add.
        var h = Regex.Matches(code, @"var (g\d+) = run\.GradientToWrite\(").Select(m => m.Groups[1].Value)
            .Select(local => (Local: local, Lines: Regex.Matches(code, $@"[^\n]*\b{local}\b[^\n]*").Select(m => m.Value.Trim()).Where(l => !l.StartsWith("var ", StringComparison.Ordinal)).ToArray()))
            .Single(g => g.Lines.Any(l => l.EndsWith($", {g.Local}.Reshape(B, 16), Accumulate);", StringComparison.Ordinal)));
        Assert.StartsWith("run.Grad<", h.Lines[0], StringComparison.Ordinal);
        Assert.EndsWith("overwrite: true);", h.Lines[0], StringComparison.Ordinal);
        Assert.Equal(2, h.Lines.Count(l => l.StartsWith("device.Gemm(", StringComparison.Ordinal) && l.EndsWith($"{h.Local}.Reshape(B, 16), Accumulate);", StringComparison.Ordinal)));
    }

    [Fact]
    public void Every_gradient_is_either_zeroed_or_written_whole_by_its_first_statement()
    {
        string code = Backward();
        foreach (Match declared in Regex.Matches(code, @"var (g\w+) = run\.GradientToWrite\("))
        {
            string local = declared.Groups[1].Value;
            string first = Regex.Matches(code[(declared.Index + declared.Length)..], $@"[^\n]*\b{local}\b[^\n]*").Select(m => m.Value.Trim())
                .First(l => !l.StartsWith("var ", StringComparison.Ordinal) && !l.StartsWith("//", StringComparison.Ordinal));
            bool writes = first.Contains("overwrite: true", StringComparison.Ordinal)
                || (first.StartsWith("device.Gemm(", StringComparison.Ordinal) && !first.Contains("Accumulate", StringComparison.Ordinal))
                || first.StartsWith("device.SwapMiddle(", StringComparison.Ordinal);
            Assert.True(writes, $"{local} is not zeroed, but its first statement adds to it: {first}");
        }
    }
}
