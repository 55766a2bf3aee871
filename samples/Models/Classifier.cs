using static Amp.Ops;

using Amp;

namespace Models;

// The DESIGN.md example model (64 -> 256 -> 10, Gelu, cross-entropy) in the three precisions: defined once here and
// compiled into the integration tests and the benchmarks (samples/Models is linked by both projects).
[Autocast(Precision.Bf16)]
public partial class Classifier
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

[Autocast(Precision.Fp16)]
public partial class ClassifierFp16
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

[Autocast(Precision.Fp32)]
public partial class ClassifierFp32
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}
