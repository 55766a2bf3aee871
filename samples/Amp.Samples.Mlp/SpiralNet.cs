using static Amp.Ops;

using Amp;

namespace Amp.Samples.Mlp;

/// <summary>
/// A classifier for the spirals: 64 features -> 256 -> 256 -> 5 arms, Gelu. One definition planned in three
/// precisions at compile time (BF16, and FP32 and FP16 through Also); the same seed gives them the same weights.
/// </summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class SpiralNet
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 256);
    readonly Linear fc3 = new(256, 5);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc3.Apply(Gelu(fc2.Apply(Gelu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(5)] Labels y) => CrossEntropy(logits, y);
}
