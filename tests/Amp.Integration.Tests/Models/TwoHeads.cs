using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>
/// A [Forward] with three outputs (a tuple): class logits, a regression value, and the shared hidden features (an early
/// buffer that must survive the ops after it). The loss reads the first two, so gradients reach the body from both heads.
/// </summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class TwoHeads
{
    readonly Linear body = new(8, 16);
    readonly Linear classify = new(16, 3);
    readonly Linear regress = new(16, 2);

    [Forward]
    public (Tensor Logits, Tensor Value, Tensor Hidden) Heads([Shape(Batch, 8)] Tensor x)
    {
        Tensor h = Gelu(body.Apply(x));
        return (classify.Apply(h), Tanh(regress.Apply(h)), h);
    }

    [Loss]
    public Tensor Loss(Tensor logits, Tensor value, Tensor hidden, [Classes(3)] Labels y, [Shape(Batch, 2)] Tensor target) =>
        CrossEntropy(logits, y) + MseLoss(value, target);
}
