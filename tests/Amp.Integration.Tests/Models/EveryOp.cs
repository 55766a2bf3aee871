using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>Every op of the catalog in one FP32 graph, for the gradient checks (CrossEntropy and Gelu are in Classifier).</summary>
[Autocast(Precision.Fp32)]
public partial class EveryOp
{
    readonly Embedding emb = new(50, 16);
    readonly LayerNorm ln = new(16);
    readonly RmsNorm rms = new(16, eps: 1e-6f);
    readonly Linear lin = new(16, 16, bias: false);

    [Forward]
    public Tensor Run([Shape(Batch, 4)] Tokens ids, [Shape(Batch, 4, 16)] Tensor x)
    {
        var h = emb.Apply(ids) + x;
        h = rms.Apply(ln.Apply(h));
        var a = Attention(lin.Apply(h), h, h, heads: 2, causal: true);
        var heads = MergeHeads(SplitHeads(a, 2));
        var scores = Softmax(CausalMask(MatMul(heads, Transpose(h))));
        var mixed = MatMul(scores, h);
        var e = Relu(mixed) + Silu(mixed) - Tanh(mixed) * Sigmoid(mixed);
        var s = Scale(e, 0.5f) * 2f;
        var logs = LogSoftmax(s) + Log(Exp(Mul(s, s)));
        var flat = Reshape(logs, Batch, 64);
        return Sum(flat) + Mean(flat);
    }

    [Loss]
    public Tensor Loss(Tensor output, [Shape(Batch)] Tensor target) => MseLoss(output, target);
}
