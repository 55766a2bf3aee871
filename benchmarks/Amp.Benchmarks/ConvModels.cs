using static Amp.Ops;

namespace Amp.Benchmarks;

// The convolution benchmark's layers: two 3x3 same-padding convolutions of one width, without bias, and a loss that
// costs little beside them.
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Conv16
{
    readonly Conv2d conv1 = new(16, 16, 3, padding: 1, bias: false);
    readonly Conv2d conv2 = new(16, 16, 3, padding: 1, bias: false);

    [Forward]
    public Tensor Apply([Shape(Batch, 16, 28, 28)] Tensor x) => conv2.Apply(conv1.Apply(x));

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 16, 28, 28)] Tensor target) => MseLoss(y, target);
}

[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Conv64
{
    readonly Conv2d conv1 = new(64, 64, 3, padding: 1, bias: false);
    readonly Conv2d conv2 = new(64, 64, 3, padding: 1, bias: false);

    [Forward]
    public Tensor Apply([Shape(Batch, 64, 14, 14)] Tensor x) => conv2.Apply(conv1.Apply(x));

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 64, 14, 14)] Tensor target) => MseLoss(y, target);
}

[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class Conv128
{
    readonly Conv2d conv1 = new(128, 128, 3, padding: 1, bias: false);
    readonly Conv2d conv2 = new(128, 128, 3, padding: 1, bias: false);

    [Forward]
    public Tensor Apply([Shape(Batch, 128, 7, 7)] Tensor x) => conv2.Apply(conv1.Apply(x));

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 128, 7, 7)] Tensor target) => MseLoss(y, target);
}
