using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>
/// TinyGpt's block four times: deep enough that blocks 1-3 run one shared generated body (block 0 reads the
/// embedding where the others read a recomputed residual, so its code differs and is written out).
/// </summary>
[Autocast(Precision.Fp32, Also = new[] { Precision.Bf16 })]
public partial class DeepGpt
{
    readonly Embedding wte = new(40, 32);
    readonly Block[] blocks = Repeat<Block>(4);
    readonly LayerNorm lnf = new(32);
    readonly Linear head = new(32, 40, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, 8)] Tokens idx)
    {
        var x = wte.Apply(idx);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(40)] Labels targets) => CrossEntropy(logits, targets);
}
