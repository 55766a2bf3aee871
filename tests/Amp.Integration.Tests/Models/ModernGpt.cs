using static Amp.Ops;

using Amp;

namespace Models;

// The language of issue 18 in one model, as a PyTorch user writes a GPT: positions from Arange (no second input), an
// attention written out with a [Batch, 1, T, T] mask broadcast over the heads (MaskedFill before the Softmax), a
// key-padding mask on the fused Attention, the query/key/value projection split from one Linear, blocks run by a for
// loop, and an output head tied to the token embedding (Attend).

/// <summary>Attention written out: one qkv projection split three ways, scores masked by a [Batch, 1, T, T] mask.</summary>
[Module]
public partial class MaskedAttention(int d, int heads)
{
    readonly Linear qkv = new(d, 3 * d);
    readonly Linear proj = new(d, d);

    [Forward]
    public Tensor Apply(Tensor x, Tensor mask)
    {
        Tensor[] parts = Split(qkv.Apply(x), d, -1);
        Tensor q = SplitHeads(parts[0], heads), k = SplitHeads(parts[1], heads), v = SplitHeads(parts[2], heads);
        Tensor scores = MatMul(q, Transpose(k, -2, -1)) / 2f;
        Tensor probs = Softmax(MaskedFill(scores, mask, float.NegativeInfinity));
        return proj.Apply(MergeHeads(MatMul(probs, v)));
    }
}

[Module]
public partial class ModernBlock(int d, int heads)
{
    readonly LayerNorm ln1 = new(d);
    readonly MaskedAttention attn = new(d, heads);
    readonly LayerNorm ln2 = new(d);
    readonly Linear q = new(d, d);
    readonly Linear k = new(d, d);
    readonly Linear v = new(d, d);

    [Forward]
    public Tensor Apply(Tensor x, Tensor mask, Tensor padding)
    {
        x = x + attn.Apply(ln1.Apply(x), mask);
        Tensor h = ln2.Apply(x);
        return x + Attention(q.Apply(h), k.Apply(h), v.Apply(h), heads: heads, causal: true, keyPaddingMask: padding);
    }
}

/// <summary>Vocabulary 24, 6 positions, width 16 in 4 heads (d 4 per head: the written-out scale 1/2 is 1/sqrt(4)), 2 blocks.</summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class ModernGpt
{
    public const int Vocab = 24, T = 6, Width = 16, Heads = 4, Depth = 2;

    readonly Embedding tokens = new(Vocab, Width);
    readonly Embedding positions = new(T, Width);
    readonly ModernBlock[] blocks = Repeat(Depth, () => new ModernBlock(Width, Heads));
    readonly LayerNorm lnf = new(Width);

    [Forward]
    public Tensor Logits([Shape(Batch, T)] Tokens idx, [Shape(Batch, 1, T, T)] Tensor mask, [Shape(Batch, T)] Tensor padding)
    {
        Tensor x = tokens.Apply(idx) + positions.Apply(Arange(T));
        for (int i = 0; i < Depth; i++)
        {
            x = blocks[i].Apply(x, mask, padding);
        }

        return tokens.Attend(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(Vocab)] Labels next) => CrossEntropy(logits, next);
}
