using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>A small CNN on 1x12x12 images: conv, ReLU, max pooling, conv, global average pooling, a linear head.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class SmallCnn
{
    readonly Conv2d conv1 = new(1, 4, 3, padding: 1);
    readonly Conv2d conv2 = new(4, 8, 3, stride: 2);
    readonly Linear head = new(8, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 1, 12, 12)] Tensor image)
    {
        var x = MaxPool2d(Relu(conv1.Apply(image)), 2);
        x = Relu(conv2.Apply(x));
        return head.Apply(Flatten(AdaptiveAvgPool2d(x, 1)));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels label) => CrossEntropy(logits, label);
}

/// <summary>A depthwise-separable CNN (MobileNet's block): a depthwise 3x3 conv (groups = channels), a pointwise 1x1 conv, BatchNorm.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class SeparableCnn
{
    readonly Conv2d stem = new(1, 4, 3, padding: 1);
    readonly Conv2d depthwise = new(4, 4, 3, padding: 1, groups: 4, bias: false);
    readonly Conv2d pointwise = new(4, 8, 1, bias: false);
    readonly BatchNorm2d bn = new(8);
    readonly Conv2d grouped = new(8, 8, 3, stride: 2, groups: 2);
    readonly Linear head = new(8, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 1, 12, 12)] Tensor image)
    {
        var x = Relu(stem.Apply(image));
        x = Relu(bn.Apply(pointwise.Apply(depthwise.Apply(x))));
        return head.Apply(Flatten(AdaptiveAvgPool2d(Relu(grouped.Apply(x)), 1)));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels label) => CrossEntropy(logits, label);
}
