using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>
/// The memory targets' 2-layer transformer LM: the benchmarks' GPT block (d 128, 4 heads) twice over a 96-token
/// vocabulary, context 64; planned in BF16 with an FP32 variant from the same definition.
/// </summary>
[Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 })]
public partial class TransformerLm
{
    readonly Embedding wte = new(96, 128);
    readonly WideBlock[] blocks = Repeat<WideBlock>(2);
    readonly LayerNorm lnf = new(128);
    readonly Linear head = new(128, 96, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, 64)] Tokens idx)
    {
        var x = wte.Apply(idx);
        foreach (var block in blocks)
        {
            x = block.Apply(x);
        }

        return head.Apply(lnf.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(96)] Labels targets) => CrossEntropy(logits, targets);
}
