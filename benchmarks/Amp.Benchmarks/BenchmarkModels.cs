using static Amp.Ops;

// Model files import Amp and Amp.Ops, not Amp.Data (whose Batch type would clash with Ops.Batch).
namespace Amp.Benchmarks;

/// <summary>The DESIGN MLP with a BF16 plan.</summary>
[Autocast(Precision.Bf16)]
public partial class MlpBf16
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));
}

/// <summary>The same MLP with an FP32 plan.</summary>
[Autocast(Precision.Fp32)]
public partial class MlpFp32
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));
}
