using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>An MLP with Dropout between its layers: masks in training, the identity in eval mode.</summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class DropoutMlp
{
    readonly Linear fc1 = new(6, 16);
    readonly Linear fc2 = new(16, 3);

    [Forward]
    public Tensor Logits([Shape(Batch, 6)] Tensor x) => fc2.Apply(Dropout(Gelu(fc1.Apply(x)), 0.3f));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(3)] Labels y) => CrossEntropy(logits, y);
}

/// <summary>DropoutMlp with nn.Dropout as a layer field: the same op, so the same masks.</summary>
[Autocast(Precision.Fp32)]
public partial class DropoutLayerMlp
{
    readonly Linear fc1 = new(6, 16);
    readonly Dropout drop = new(0.3f);
    readonly Linear fc2 = new(16, 3);

    [Forward]
    public Tensor Logits([Shape(Batch, 6)] Tensor x) => fc2.Apply(drop.Apply(Gelu(fc1.Apply(x))));

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(3)] Labels y) => CrossEntropy(logits, y);
}
