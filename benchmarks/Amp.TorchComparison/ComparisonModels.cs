using static Amp.Ops;

using Amp;

namespace AmpTorch;

// The Amp side of the comparison. TorchModels.cs writes the same graphs with TorchSharp, reading the weights by these
// PyTorch names, so both sides run one set of weights.

/// <summary>A pre-norm residual MLP block: x + fc2(Gelu(fc1(LayerNorm(x)))).</summary>
[Module]
public partial class ResidualBlock
{
    readonly LayerNorm ln = new(256);
    readonly Linear fc1 = new(256, 512);
    readonly Linear fc2 = new(512, 256);

    [Forward]
    public Tensor Apply(Tensor x) => x + fc2.Apply(Gelu(fc1.Apply(ln.Apply(x))));
}

/// <summary>ResidualNet-like classifier: a stem, two residual blocks, a final LayerNorm and a head (64 -> 256 -> 10).</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class ResidualMlp
{
    readonly Linear stem = new(64, 256);
    readonly ResidualBlock b1 = new();
    readonly ResidualBlock b2 = new();
    readonly LayerNorm ln = new(256);
    readonly Linear head = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => head.Apply(ln.Apply(b2.Apply(b1.Apply(Gelu(stem.Apply(x))))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The GPT block of the benchmarks (samples/Models/GptBlock.cs: d 128, 4 heads, T 64, MLP 4x) in three precisions.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class GptBlockAll
{
    readonly global::Models.WideBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}

/// <summary>The DESIGN MLP, 64 -> 256 -> 10 with Gelu.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Mlp256
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The libtorch reference model of issue 4 (the benchmarks' SmallMlp), 64 -> 128 -> 10 with Gelu.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Mlp128
{
    readonly Linear fc1 = new(64, 128);
    readonly Linear fc2 = new(128, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>ResidualMlp in FP32 with its products in TF32: TF32's accuracy beside BF16's and FP16's.</summary>
[Autocast(Precision.Fp32, Tf32 = true)]
public partial class ResidualMlpTf32
{
    readonly Linear stem = new(64, 256);
    readonly ResidualBlock b1 = new();
    readonly ResidualBlock b2 = new();
    readonly LayerNorm ln = new(256);
    readonly Linear head = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => head.Apply(ln.Apply(b2.Apply(b1.Apply(Gelu(stem.Apply(x))))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The GPT block in FP32 with its products in TF32.</summary>
[Autocast(Precision.Fp32, Tf32 = true)]
public partial class GptBlockTf32
{
    readonly global::Models.WideBlock block = new();

    [Forward]
    public Tensor Run([Shape(Batch, 64, 128)] Tensor x) => block.Apply(x);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 128)] Tensor target) => MseLoss(y, target);
}
