using static Amp.Ops;

using Amp;

namespace Amp.Samples.TinyGpt;

/// <summary>Causal self-attention over d = 64 with 4 heads.</summary>
[Module]
public partial class SelfAttention
{
    readonly Linear q = new(64, 64);
    readonly Linear k = new(64, 64);
    readonly Linear v = new(64, 64);
    readonly Linear proj = new(64, 64);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
}

/// <summary>A pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
[Module]
public partial class Block
{
    readonly LayerNorm ln1 = new(64);
    readonly SelfAttention attn = new();
    readonly LayerNorm ln2 = new(64);
    readonly Linear up = new(64, 256);
    readonly Linear down = new(256, 64);

    [Forward]
    public Tensor Apply(Tensor x)
    {
        x = x + attn.Apply(ln1.Apply(x));
        return x + down.Apply(Gelu(up.Apply(ln2.Apply(x))));
    }
}

/// <summary>
/// The character GPT: 48 symbols, 32 characters of context, 3 blocks of d = 64; one definition planned in BF16,
/// FP32 and FP16.
/// </summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class CharGpt
{
    readonly Embedding tokens = new(48, 64);
    readonly Embedding positions = new(32, 64);
    readonly Block[] blocks = Repeat<Block>(3);
    readonly LayerNorm lnf = new(64);
    readonly Linear head = new(64, 48, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, 32)] Tokens idx, [Shape(Batch, 32)] Tokens pos)
    {
        var x = tokens.Apply(idx) + positions.Apply(pos);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(48)] Labels next) => CrossEntropy(logits, next);
}
