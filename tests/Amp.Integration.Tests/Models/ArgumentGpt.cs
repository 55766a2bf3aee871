using static Amp.Ops;

using Amp;

namespace Models;

// Modules with constructor arguments (issue 18): width, heads and depth set once, at the use site.

[Module]
public partial class ArgAttention(int d, int heads)
{
    readonly Linear q = new(d, d);
    readonly Linear k = new(d, d);
    readonly Linear v = new(d, d);
    readonly Linear proj = new(d, d);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: heads, causal: true));
}

[Module]
public partial class ArgBlock(int d, int heads, int expansion = 4)
{
    readonly LayerNorm ln1 = new(d);
    readonly ArgAttention attn = new(d, heads);
    readonly LayerNorm ln2 = new(d);
    readonly Linear up = new(d, expansion * d);
    readonly Linear down = new(expansion * d, d);

    [Forward]
    public Tensor Apply(Tensor x)
    {
        x = x + attn.Apply(ln1.Apply(x));
        return x + down.Apply(Gelu(up.Apply(ln2.Apply(x))));
    }
}

/// <summary>Two widths in one model: three blocks of d 16 with 2 heads, a projection, one block of d 24 with 3 heads and MLP 2x.</summary>
[Autocast(Precision.Fp32)]
public partial class ArgumentGpt
{
    const int Width = 16;

    readonly Embedding wte = new(40, Width);
    readonly ArgBlock[] blocks = Repeat(3, () => new ArgBlock(Width, 2));
    readonly Linear widen = new(Width, Width + 8);
    readonly ArgBlock wide = new(Width + 8, 3, expansion: 2);
    readonly Linear head = new(Width + 8, 40, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, 8)] Tokens idx)
    {
        var x = wte.Apply(idx);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(wide.Apply(widen.Apply(x)));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(40)] Labels targets) => CrossEntropy(logits, targets);
}
