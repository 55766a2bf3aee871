using static Amp.Ops;

using Amp;

namespace Models;

// The GPT block of the benchmarks and the memory targets: defined once here and compiled into the integration tests and
// the benchmarks (samples/Models is linked by both projects).

[Module]
public partial class WideAttention
{
    readonly Linear q = new(128, 128);
    readonly Linear k = new(128, 128);
    readonly Linear v = new(128, 128);
    readonly Linear proj = new(128, 128);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
}

/// <summary>The GPT block of the targets: d = 128, 4 heads, sequence 64, MLP 4x.</summary>
[Module]
public partial class WideBlock
{
    readonly LayerNorm ln1 = new(128);
    readonly WideAttention attn = new();
    readonly LayerNorm ln2 = new(128);
    readonly Linear up = new(128, 512);
    readonly Linear down = new(512, 128);

    [Forward]
    public Tensor Apply(Tensor x)
    {
        x = x + attn.Apply(ln1.Apply(x));
        return x + down.Apply(Gelu(up.Apply(ln2.Apply(x))));
    }
}

[Autocast(Precision.Bf16)]
public partial class GptBlock
{
    readonly WideBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}

[Autocast(Precision.Fp32)]
public partial class GptBlockFp32
{
    readonly WideBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}
