using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>The DESIGN MLP with its FP32 products in TF32 (<c>Tf32 = true</c>): FP32 storage, TF32 operands, FP32 accumulation.</summary>
[Autocast(Precision.Fp32, Tf32 = true)]
public partial class ClassifierTf32
{
    readonly Linear fc1 = new(64, 256);
    readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>A BF16 plan with a [KeepFp32] head under TF32: only the head's FP32 products round to TF32.</summary>
[Autocast(Precision.Bf16, Tf32 = true)]
public partial class KeptHeadTf32
{
    readonly Linear fc1 = new(64, 256);
    [KeepFp32] readonly Linear fc2 = new(256, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>A GPT-like block (attention, MatMul) in FP32 with TF32 products.</summary>
[Autocast(Precision.Fp32, Tf32 = true)]
public partial class AttentionTf32
{
    readonly Linear q = new(16, 16);
    readonly Linear k = new(16, 16);
    readonly Linear v = new(16, 16);

    [Forward]
    public Tensor Run([Shape(Batch, 8, 16)] Tensor x) => Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 2, causal: true);

    [Loss]
    public Tensor Loss(Tensor y, [Shape(Batch, 8, 16)] Tensor target) => MseLoss(y, target);
}
