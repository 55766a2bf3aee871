using static Amp.Ops;

using Amp;

namespace Models;

// The CNN sample's model (samples/Amp.Samples.Cnn), shared with the integration tests and the benchmarks.

/// <summary>A residual block at one width: conv, BatchNorm, ReLU, conv, BatchNorm, the input added back, ReLU.</summary>
[Module]
public partial class ResidualBlock
{
    readonly Conv2d conv1 = new(16, 16, 3, padding: 1, bias: false);
    readonly BatchNorm2d bn1 = new(16);
    readonly Conv2d conv2 = new(16, 16, 3, padding: 1, bias: false);
    readonly BatchNorm2d bn2 = new(16);

    [Forward]
    public Tensor Apply(Tensor x) => Relu(Add(x, bn2.Apply(conv2.Apply(Relu(bn1.Apply(conv1.Apply(x)))))));
}

/// <summary>
/// A small ResNet for 28x28 digits: a conv stem with BatchNorm and max pooling (28 -> 14), one residual block, a
/// strided conv (14 -> 7), global average pooling, Dropout and a linear head. Convolutions run in the autocast type;
/// BatchNorm keeps FP32 statistics; the loss is FP32.
/// </summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class DigitNet
{
    readonly Conv2d stem = new(1, 16, 3, padding: 1, bias: false);
    readonly BatchNorm2d bn0 = new(16);
    readonly ResidualBlock block = new();
    readonly Conv2d down = new(16, 32, 3, stride: 2, padding: 1, bias: false);
    readonly BatchNorm2d bn3 = new(32);
    readonly Dropout drop = new(0.2f);
    readonly Linear head = new(32, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 1, 28, 28)] Tensor image)
    {
        var x = MaxPool2d(Relu(bn0.Apply(stem.Apply(image))), 2);
        x = block.Apply(x);
        x = Relu(bn3.Apply(down.Apply(x)));
        return head.Apply(drop.Apply(Flatten(AdaptiveAvgPool2d(x, 1))));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels label) => CrossEntropy(logits, label);
}
