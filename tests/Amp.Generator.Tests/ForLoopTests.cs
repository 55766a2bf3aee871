using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>
/// <c>for</c> loops with constant bounds over a block array (issue 18): unrolled like a foreach, the counter folding
/// wherever a constant goes; any other loop is a located AMP1002 or AMP1003.
/// </summary>
public sealed class ForLoopTests
{
    private const string Model = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Module]
        public partial class Block(int d)
        {
            readonly Linear fc = new(d, d);

            [Forward]
            public Tensor Apply(Tensor x) => x + Gelu(fc.Apply(x));
        }

        [Autocast(Precision.Fp32)]
        public partial class Looped
        {
            readonly Block[] blocks = Repeat(4, () => new Block(8));
            readonly Linear head = new(8, 3);

            [Forward]
            Tensor Logits([Shape(Batch, 8)] Tensor x)
            {
                LOOP
                return head.Apply(x);
            }

            [Loss]
            Tensor Loss(Tensor logits, [Classes(3)] Labels y) => CrossEntropy(logits, y);
        }
        """;

    private static string Source(string loop) => Model.Replace("LOOP", loop);

    private static string Generate(string source)
    {
        var (sources, generator, output) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.True(output.IsEmpty, string.Join("\n", output));
        string text = sources.Single(s => s.HintName == "Demo.Looped.Amp.g.cs").SourceText.ToString();
        if (Environment.GetEnvironmentVariable("AMP_DUMP") == "1")
        {
            File.WriteAllText("/tmp/Looped.g.cs", text);
        }

        return text;
    }

    /// <summary>The block instances in the order the plan runs them (the plan lists the forward's ops in order).</summary>
    private static string[] BlocksRun(string code) =>
        [.. Regex.Matches(code, @"new\(""(blocks\.\d)\.fc"", AmpKind\.Linear").Select(m => m.Groups[1].Value)];

    [Fact]
    public void A_for_loop_over_the_array_runs_every_block_in_order_like_foreach()
    {
        string unrolled = Generate(Source("for (int i = 0; i < blocks.Length; i++) { x = blocks[i].Apply(x); }"));
        string each = Generate(Source("foreach (var block in blocks) { x = block.Apply(x); }"));
        Assert.Equal(["blocks.0", "blocks.1", "blocks.2", "blocks.3"], BlocksRun(unrolled));
        Assert.Equal(each, unrolled);
    }

    [Theory]
    [InlineData("for (int i = 1; i < 4; i += 2) x = blocks[i].Apply(x);", new[] { "blocks.1", "blocks.3" })]
    [InlineData("for (int i = 0; i <= 2; ++i) x = blocks[2 - i].Apply(x);", new[] { "blocks.2", "blocks.1", "blocks.0" })]
    [InlineData("for (int i = 0; i < 0; i++) x = blocks[i].Apply(x);", new string[0])]
    public void The_counter_folds_in_indices_and_arithmetic(string loop, string[] expected)
    {
        Assert.Equal(expected, BlocksRun(Generate(Source(loop))));
    }

    [Theory]
    [InlineData("for (int i = 0, j = 0; i < 4; i++) x = blocks[i].Apply(x);", "one int counter")]
    [InlineData("for (int i = 0; i < blocks.Length * 2; i++) x = blocks[i].Apply(x);", "condition")]
    [InlineData("for (int i = 0; i < 4; i--) x = blocks[i].Apply(x);", "increment")]
    [InlineData("for (int i = 0; i != 4; i++) x = blocks[i].Apply(x);", "condition")]
    [InlineData("for (int i = 0; i < 4; i++) { x = blocks[i].Apply(x); i = 3; }", "Assigning the loop counter 'i'")]
    [InlineData("for (;;) x = blocks[0].Apply(x);", "one int counter")]
    public void Other_loops_are_located_errors(string loop, string message)
    {
        string source = Source(loop);
        var (_, generator, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(generator);
        Assert.Contains(d.Id, new[] { "AMP1002", "AMP1003" });
        Assert.Contains(message, d.GetMessage(), StringComparison.Ordinal);
        Assert.True(source.IndexOf(loop, StringComparison.Ordinal) <= d.Location.SourceSpan.Start, "the diagnostic points into the loop");
    }

    [Fact]
    public void An_index_past_the_array_is_reported_at_the_index()
    {
        var (_, generator, _) = GeneratorHarness.Run(Source("for (int i = 0; i < 5; i++) x = blocks[i].Apply(x);"));
        Diagnostic d = Assert.Single(generator);
        Assert.Equal("AMP1005", d.Id);
        Assert.Contains("blocks[4]", d.GetMessage(), StringComparison.Ordinal);
    }
}
