using static Amp.Ops;

using Amp;

namespace Amp.Samples.TinyGpt;

/// <summary>Causal self-attention over d features in <paramref name="heads"/> heads.</summary>
[Module]
public partial class SelfAttention(int d, int heads)
{
    readonly Linear q = new(d, d);
    readonly Linear k = new(d, d);
    readonly Linear v = new(d, d);
    readonly Linear proj = new(d, d);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: heads, causal: true));
}

/// <summary>A pre-norm transformer block of width d: x + attn(ln1(x)), then x + mlp(ln2(x)) with a 4x MLP.</summary>
[Module]
public partial class Block(int d, int heads)
{
    readonly LayerNorm ln1 = new(d);
    readonly SelfAttention attn = new(d, heads);
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

/// <summary>
/// The character GPT: 48 symbols, 32 characters of context, 3 blocks of d = 64 with 4 heads (set here, in one place:
/// the blocks take them as constructor arguments); one definition planned in BF16, FP32 and FP16.
/// </summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class CharGpt
{
    public const int Symbols = 48, Context = 32, Width = 64, Heads = 4, Depth = 3;

    readonly Embedding tokens = new(Symbols, Width);
    readonly Embedding positions = new(Context, Width);
    readonly Block[] blocks = Repeat(Depth, () => new Block(Width, Heads));
    readonly LayerNorm lnf = new(Width);
    readonly Linear head = new(Width, Symbols, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, Context)] Tokens idx)
    {
        // The positions 0 .. Context - 1 are made on the device: [Context, Width] added to every sample.
        var x = tokens.Apply(idx) + positions.Apply(Arange(Context));
        for (int i = 0; i < Depth; i++)
        {
            x = blocks[i].Apply(x);
        }

        return head.Apply(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(Symbols)] Labels next) => CrossEntropy(logits, next);
}
