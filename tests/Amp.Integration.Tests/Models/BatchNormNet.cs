using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>BatchNorm2d straight on the input (its statistics are the batch's own), then a head: running statistics checkable by hand.</summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16, Precision.Fp16 })]
public partial class BatchNormNet
{
    readonly BatchNorm2d bn = new(3);
    readonly Linear head = new(3 * 4 * 4, 4);

    [Forward]
    public Tensor Logits([Shape(Batch, 3, 4, 4)] Tensor image) => head.Apply(Flatten(Relu(bn.Apply(image))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(4)] Labels label) => CrossEntropy(logits, label);
}

/// <summary>A conv block with BatchNorm inside a [Module], so that [Recompute] replays a BatchNorm forward.</summary>
[Module]
public partial class ConvBnBlock
{
    readonly Conv2d conv = new(2, 4, 3, padding: 1, bias: false);
    readonly BatchNorm2d bn = new(4, momentum: 0.2f);

    [Forward]
    public Tensor Apply(Tensor x) => Relu(bn.Apply(conv.Apply(x)));
}

[Autocast(Precision.Fp32)]
public partial class ConvBnNet
{
    readonly ConvBnBlock block = new();
    readonly Linear head = new(4, 3);

    [Forward]
    public Tensor Logits([Shape(Batch, 2, 6, 6)] Tensor image) => head.Apply(Flatten(AdaptiveAvgPool2d(block.Apply(image), 1)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(3)] Labels label) => CrossEntropy(logits, label);
}

[Autocast(Precision.Fp32)]
public partial class ConvBnNetRecompute
{
    [Recompute]
    readonly ConvBnBlock block = new();
    readonly Linear head = new(4, 3);

    [Forward]
    public Tensor Logits([Shape(Batch, 2, 6, 6)] Tensor image) => head.Apply(Flatten(AdaptiveAvgPool2d(block.Apply(image), 1)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(3)] Labels label) => CrossEntropy(logits, label);
}

/// <summary>BatchNorm after global pooling: one value per channel per sample, so batch 1 has nothing to normalise over in training.</summary>
[Autocast(Precision.Fp32)]
public partial class PooledBatchNorm
{
    readonly BatchNorm2d bn = new(2);

    [Forward]
    public Tensor Logits([Shape(Batch, 2, 3, 3)] Tensor image) => Flatten(bn.Apply(AdaptiveAvgPool2d(image, 1)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(2)] Labels label) => CrossEntropy(logits, label);
}

/// <summary>A residual conv-BatchNorm block, repeated: one shared body whose instances hold their own running statistics.</summary>
[Module]
public partial class ResidualBnBlock
{
    readonly Conv2d conv = new(4, 4, 3, padding: 1, bias: false);
    readonly BatchNorm2d bn = new(4);

    [Forward]
    public Tensor Apply(Tensor x) => Relu(Add(x, bn.Apply(conv.Apply(x))));
}

[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class DeepBatchNormNet
{
    readonly Conv2d stem = new(1, 4, 3, padding: 1);
    readonly ResidualBnBlock[] blocks = Repeat<ResidualBnBlock>(3);
    readonly Linear head = new(4, 3);

    [Forward]
    public Tensor Logits([Shape(Batch, 1, 6, 6)] Tensor image)
    {
        var x = stem.Apply(image);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(Flatten(AdaptiveAvgPool2d(x, 1)));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(3)] Labels label) => CrossEntropy(logits, label);
}
