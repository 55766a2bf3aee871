using static Amp.Ops;

using Amp;

namespace Models;

// Label smoothing (eps = 0.1, 10 classes) written the two ways a user reaches for; both once trained the wrong way
// (a Mean over a dimension that ends in the batch divided its gradient by -1).

/// <summary>Soft targets: -mean over the batch of sum(t * log_softmax), then a Mean of the scalar (a no-op, as in PyTorch).</summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class SoftTargetLoss
{
    readonly Linear fc1 = new(64, 64);
    readonly Linear fc2 = new(64, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Shape(Batch, 10)] Tensor soft) => Scale(Mean(Mean(Sum(soft * LogSoftmax(logits)))), -1f);
}

/// <summary>0.9 CE + 0.1 mean over classes and batch of -log_softmax: the same loss as PyTorch's label_smoothing=0.1.</summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class SmoothedCrossEntropy
{
    readonly Linear fc1 = new(64, 64);
    readonly Linear fc2 = new(64, 10);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(10)] Labels y) =>
        Scale(CrossEntropy(logits, y), 0.9f) + Scale(Mean(Mean(LogSoftmax(logits))), -0.1f);
}
