using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>
/// [Module] classes with primary-constructor arguments: each use site's constants bind per instance and reach every
/// place a constant may go (layer sizes, op arguments, Repeat counts, arithmetic); one argument list is planned once
/// (one body); an argument the generator cannot read, or an explicit constructor, is a located error.
/// </summary>
public sealed class ModuleArgumentTests
{
    private const string Blocks = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Module]
        public partial class Attn(int d, int heads)
        {
            readonly Linear q = new(d, d);
            readonly Linear k = new(d, d);
            readonly Linear v = new(d, d);
            readonly Linear proj = new(d, d);

            [Forward]
            public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: heads, causal: true));
        }

        [Module]
        public partial class Block(int d, int heads)
        {
            readonly LayerNorm ln1 = new(d);
            readonly Attn attn = new(d, heads);
            readonly LayerNorm ln2 = new(d);
            readonly Linear up = new(d, 4 * d);
            readonly Linear down = new(4 * d, d);

            [Forward]
            public Tensor Apply(Tensor x)
            {
                x = x + attn.Apply(ln1.Apply(x));
                return x + down.Apply(Gelu(up.Apply(ln2.Apply(x))));
            }
        }

        [Module]
        public partial class Stack(int depth, int d, int heads)
        {
            readonly Block[] blocks = Repeat(depth, () => new Block(d, heads));

            [Forward]
            public Tensor Apply(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.Apply(x);
                }

                return x;
            }
        }
        """;

    private const string Gpt = Blocks + """

        [Autocast(Precision.Bf16)]
        public partial class ArgGpt
        {
            const int Width = 16;

            readonly Embedding wte = new(40, Width);
            readonly Stack narrow = new(3, Width, 2);
            readonly Linear widen = new(Width, 2 * Width);
            readonly Block wide = new(2 * Width, Width / 4);
            readonly Linear head = new(2 * Width, 40, bias: false);

            [Forward]
            Tensor Logits([Shape(Batch, 8)] Tokens idx) => head.Apply(wide.Apply(widen.Apply(narrow.Apply(wte.Apply(idx)))));

            [Loss]
            Tensor Loss(Tensor logits, [Classes(40)] Labels y) => CrossEntropy(logits, y);
        }
        """;

    private static string Generate(string source, string hint)
    {
        var (sources, generator, output) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.True(output.IsEmpty, string.Join("\n", output));
        string text = sources.Single(s => s.HintName == hint).SourceText.ToString();
        if (Environment.GetEnvironmentVariable("AMP_DUMP") == "1")
        {
            File.WriteAllText("/tmp/" + hint, text);
        }

        return text;
    }

    private static Diagnostic Single(string source)
    {
        var (_, generator, _) = GeneratorHarness.Run(source);
        return Assert.Single(generator);
    }

    [Fact]
    public void Arguments_size_the_layers_of_each_instance()
    {
        string code = Generate(Gpt, "Demo.ArgGpt.Amp.g.cs");

        // Sizes from the arguments: d 16 in the narrow stack, 32 in the wide block (4 * d wide MLP), heads 2 and 4.
        Assert.Contains("new(\"narrow.blocks.2.up\", AmpKind.Linear", code);
        Assert.Matches(@"new\(""narrow\.blocks\.0\.up"", AmpKind\.Linear[^\n]*\n[^\n]*""\[Batch, 8, 64\]""", code);
        Assert.Matches(@"new\(""wide\.up"", AmpKind\.Linear[^\n]*\n[^\n]*""\[Batch, 8, 128\]""", code);

        // heads: the narrow blocks' 2 heads of 8; the wide block's Width / 4 = 4 heads of 8 (SwapMiddle's [B, T, heads, d]).
        Assert.Contains("device.SwapMiddle(t32, t35Q, B, 8, 2, 8);", code);
        Assert.Contains("device.SwapMiddle(t48, t51Q, B, 8, 4, 8);", code);
    }

    [Fact]
    public void One_argument_list_is_planned_once()
    {
        string code = Generate(Gpt, "Demo.ArgGpt.Amp.g.cs");

        // The narrow blocks (16, 2) share one body; the wide block (32, 4) has other arguments and never runs it.
        Assert.Single(Regex.Matches(code, @"private void BlockForward\("));
        Assert.Contains("narrow.blocks.0: forward of Demo.Block(16, 2), the body BlockForward", code);
        Assert.Contains("narrow.blocks.1: forward of Demo.Block(16, 2), the body BlockForward", code);
        Assert.DoesNotContain("wide: forward of", code);
        Assert.DoesNotContain("Demo.Block(32, 4), the body", code);
    }

    [Fact]
    public void The_same_source_plans_differently_per_argument_list()
    {
        string two = Generate(Gpt, "Demo.ArgGpt.Amp.g.cs");
        string four = Generate(Gpt.Replace("new(3, Width, 2)", "new(4, Width, 4)"), "Demo.ArgGpt.Amp.g.cs");
        Assert.Contains("\"narrow.blocks.3.up\"", four);
        Assert.DoesNotContain("\"narrow.blocks.3.up\"", two);
        Assert.NotEqual(two, four);
    }

    [Fact]
    public void An_explicit_constructor_that_takes_arguments_is_an_error_at_the_call()
    {
        const string source = """
            using Amp;
            using static Amp.Ops;

            namespace Demo;

            [Module]
            public partial class Blk
            {
                readonly Linear fc = new(32, 32);

                public Blk(int width) { }

                [Forward]
                public Tensor Apply(Tensor x) => fc.Apply(x);
            }

            [Autocast(Precision.Bf16)]
            public partial class M
            {
                readonly Blk blk = new Blk(32);

                [Forward]
                Tensor Run([Shape(Batch, 32)] Tensor x) => blk.Apply(x);
            }
            """;
        Diagnostic d = Single(source);
        Assert.Equal("AMP1002", d.Id);
        Assert.Contains("explicit constructor of the module 'Blk'", d.GetMessage());
        Assert.Contains("partial class Blk(int width)", d.GetMessage());
        Assert.Equal("new Blk(32)", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
    }

    [Fact]
    public void A_constructor_with_statements_is_an_error_at_its_declaration()
    {
        const string source = """
            using Amp;
            using static Amp.Ops;

            namespace Demo;

            [Module]
            public partial class Blk
            {
                readonly Linear fc = new(32, 32);
                int calls;

                public Blk() { calls = 1; }

                [Forward]
                public Tensor Apply(Tensor x) => fc.Apply(x);
            }

            [Autocast(Precision.Bf16)]
            public partial class M
            {
                readonly Blk blk = new();

                [Forward]
                Tensor Run([Shape(Batch, 32)] Tensor x) => blk.Apply(x);
            }
            """;
        Diagnostic d = Single(source);
        Assert.Equal("AMP1002", d.Id);
        Assert.Contains("constructor with a body in the module 'Blk'", d.GetMessage());
        Assert.Equal("Blk", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Equal(11, d.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void An_argument_that_is_not_a_constant_is_an_error_at_the_argument()
    {
        string source = Gpt.Replace("const int Width = 16;", "const int Width = 16;\n    static int Heads = 2;").Replace("new(3, Width, 2)", "new(3, Width, Heads)");
        Diagnostic d = Single(source);
        Assert.Equal("AMP1003", d.Id);
        Assert.Contains("'heads' of 'Stack narrow'", d.GetMessage());
        Assert.Equal("Heads", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
    }

    [Fact]
    public void An_argument_out_of_range_is_reported_where_the_layer_uses_it()
    {
        var (_, generator, _) = GeneratorHarness.Run(Gpt.Replace("new(3, Width, 2)", "new(3, 0, 2)"));
        Assert.NotEmpty(generator);
        Assert.All(generator, d => Assert.Equal("AMP1009", d.Id));
        Assert.Contains(generator, d => d.GetMessage().Contains("'dim' of 'LayerNorm narrow.blocks.0.ln1' is 0", StringComparison.Ordinal));
    }
}
