using static Amp.Ops;

using Amp;

namespace Amp.GpuCheck;

/// <summary>The model trained on the device and on Cpu: 256 features -> 1024 -> 1024 -> 16 classes, BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class CheckMlp
{
    readonly Linear fc1 = new(256, 1024);
    readonly Linear fc2 = new(1024, 1024);
    readonly Linear fc3 = new(1024, 16);

    [Forward]
    public Tensor Logits([Shape(Batch, 256)] Tensor x) => fc3.Apply(Gelu(fc2.Apply(Gelu(fc1.Apply(x)))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(16)] Labels y) => CrossEntropy(logits, y);
}
