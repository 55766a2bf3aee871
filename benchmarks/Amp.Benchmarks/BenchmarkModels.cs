using static Amp.Ops;

// Model files import Amp and Amp.Ops, not Amp.Data (whose Batch type would clash with Ops.Batch).
namespace Amp.Benchmarks;

/// <summary>The DESIGN MLP with a BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class MlpBf16
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The same MLP with an FP32 plan.</summary>
[Autocast(Precision.Fp32)]
public partial class MlpFp32
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The libtorch reference model of issue 4: 64 -> 128 -> 10, BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class SmallMlpBf16
{
    readonly Linear fc1 = new(64, 128);
    readonly Linear fc2 = new(128, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The same small MLP, FP32 plan.</summary>
[Autocast(Precision.Fp32)]
public partial class SmallMlpFp32
{
    readonly Linear fc1 = new(64, 128);
    readonly Linear fc2 = new(128, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

[Module]
public partial class BenchAttention
{
    readonly Linear q = new(128, 128);
    readonly Linear k = new(128, 128);
    readonly Linear v = new(128, 128);
    readonly Linear proj = new(128, 128);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
}

/// <summary>A GPT block: d = 128, 4 heads, MLP 4x.</summary>
[Module]
public partial class BenchBlock
{
    readonly LayerNorm ln1 = new(128);
    readonly BenchAttention attn = new();
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

/// <summary>The GPT block target of issue 4 (sequence 64), BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class GptBlockBf16
{
    readonly BenchBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}

/// <summary>The same GPT block, FP32 plan.</summary>
[Autocast(Precision.Fp32)]
public partial class GptBlockFp32
{
    readonly BenchBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}
