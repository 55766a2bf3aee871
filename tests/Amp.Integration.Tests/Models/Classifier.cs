using static Amp.Ops;

using Amp;

namespace Models;

// Classifier, ClassifierFp16 and ClassifierFp32 are shared with the benchmarks: samples/Models/Classifier.cs.

[Autocast(Precision.Bf16)]
public partial class ForwardOnly
{
    readonly Linear fc = new(4, 2);

    [Forward]
    public Tensor Run([Shape(Batch, 4)] Tensor x) => fc.Apply(x);
}

/// <summary>The DESIGN example once, planned in all three precisions.</summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
public partial class ClassifierAll
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}
