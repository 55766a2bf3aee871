using static Amp.Ops;

using Amp;

namespace Models;

// The models of issue 19's libtorch comparison that the BDN suite and the comparison project share: defined once here
// (samples/Models is linked by the tests, the benchmarks and benchmarks/Amp.TorchComparison).

/// <summary>The MNIST-sized MLP of the libtorch comparison (issue 19): 784 -> 1024 -> 1024 -> 10 with Relu.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Mlp1024
{
    readonly Linear fc1 = new(784, 1024);
    readonly Linear fc2 = new(1024, 1024);
    readonly Linear fc3 = new(1024, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 784)] Tensor x) => fc3.Apply(Relu(fc2.Apply(Relu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>Causal self-attention over d features in <paramref name="heads"/> heads.</summary>
[Module]
public partial class CausalSelfAttention(int d, int heads)
{
    readonly Linear q = new(d, d);
    readonly Linear k = new(d, d);
    readonly Linear v = new(d, d);
    readonly Linear proj = new(d, d);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: heads, causal: true));
}

/// <summary>A pre-norm GPT block of width d with a 4x MLP.</summary>
[Module]
public partial class TransformerBlock(int d, int heads)
{
    readonly LayerNorm ln1 = new(d);
    readonly CausalSelfAttention attn = new(d, heads);
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

/// <summary>The 4-block character GPT of the libtorch comparison (issue 19): d 256, 8 heads, T 128, vocabulary 96.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class CharGpt4
{
    public const int Vocabulary = 96, Context = 128, Width = 256, Heads = 8, Depth = 4;

    readonly Embedding tokens = new(Vocabulary, Width);
    readonly Embedding positions = new(Context, Width);
    readonly TransformerBlock[] blocks = Repeat(Depth, () => new TransformerBlock(Width, Heads));
    readonly LayerNorm lnf = new(Width);
    readonly Linear head = new(Width, Vocabulary, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, Context)] Tokens idx, [Shape(Batch, Context)] Tokens pos)
    {
        var x = tokens.Apply(idx) + positions.Apply(pos);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(Vocabulary)] Labels next) => CrossEntropy(logits, next);
}
