using static Amp.Ops;

// Model files import Amp and Amp.Ops, not Amp.Data (whose Batch type would clash with Ops.Batch).
namespace Amp.Benchmarks;

// The DESIGN MLP (Classifier, ClassifierFp32) and the GPT block (GptBlock, GptBlockFp32) are shared with the tests:
// samples/Models.

/// <summary>The libtorch reference model of issue 4: 64 -> 128 -> 10, BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class SmallMlpBf16
{
    readonly Linear fc1 = new(64, 128);
    readonly Linear fc2 = new(128, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>The same small MLP, FP32 plan.</summary>
[Autocast(Precision.Fp32)]
public partial class SmallMlpFp32
{
    readonly Linear fc1 = new(64, 128);
    readonly Linear fc2 = new(128, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}
