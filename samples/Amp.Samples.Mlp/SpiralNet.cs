using static Amp.Ops;

using Amp;

namespace Amp.Samples.Mlp;

// One definition per precision: the precision is decided at compile time, so each plan is its own class.
// The same seed gives the three the same initial weights (same layers, same order).

/// <summary>A classifier for the spirals: 64 features -> 256 -> 256 -> 5 arms, Gelu, trained in FP32.</summary>
[Autocast(Precision.Fp32)]
public partial class SpiralNetFp32
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 256);
    readonly Linear fc3 = new(256, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc3.Apply(Gelu(fc2.Apply(Gelu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The same network with a BF16 autocast plan.</summary>
[Autocast(Precision.Bf16)]
public partial class SpiralNetBf16
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 256);
    readonly Linear fc3 = new(256, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc3.Apply(Gelu(fc2.Apply(Gelu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The same network with an FP16 autocast plan (the loss scaler is on by default).</summary>
[Autocast(Precision.Fp16)]
public partial class SpiralNetFp16
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 256);
    readonly Linear fc3 = new(256, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc3.Apply(Gelu(fc2.Apply(Gelu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels y) => CrossEntropy(logits, y);
}
