using static Amp.Ops;

using Amp;

namespace Models;

// TinyGpt with every field renamed to what the generated code names its own locals (t2, g4, t4, ...). The plan and the
// training step must not change: the memory planner once read liveness from the emitted text, where a layer named t2
// in a comment kept buffer t2 alive (36,544 -> 38,592 activation bytes per sample).

[Module]
public partial class RenamedAttention
{
    readonly Linear t0 = new(32, 32);
    readonly Linear g1 = new(32, 32);
    readonly Linear t5R = new(32, 32);
    readonly Linear g7Context = new(32, 32);

    [Forward]
    public Tensor Apply(Tensor x) => g7Context.Apply(Attention(t0.Apply(x), g1.Apply(x), t5R.Apply(x), heads: 4, causal: true));
}

[Module]
public partial class RenamedBlock
{
    readonly LayerNorm t1 = new(32);
    readonly RenamedAttention g3 = new();
    readonly LayerNorm t6 = new(32);
    readonly Linear g6 = new(32, 64);
    readonly Linear t8Mean = new(64, 32);

    [Forward]
    public Tensor Apply(Tensor x)
    {
        x = x + g3.Apply(t1.Apply(x));
        return x + Mlp(t6.Apply(x));
    }

    Tensor Mlp(Tensor h) => t8Mean.Apply(Gelu(g6.Apply(h)));
}

[Autocast(Precision.Bf16)]
public partial class RenamedGpt
{
    readonly Embedding t2 = new(40, 32);
    readonly RenamedBlock[] t3 = Repeat<RenamedBlock>(2);
    readonly LayerNorm g4 = new(32);
    readonly Linear t4 = new(32, 40, bias: false);

    [Forward]
    public Tensor Logits([Shape(Batch, 8)] Tokens t9)
    {
        var x = t2.Apply(t9);
        foreach (var block in t3)
        {
            x = block.Apply(x);
        }

        return t4.Apply(g4.Apply(x));
    }

    [Loss]
    public Tensor Loss(Tensor logits, [Classes(40)] Labels g9) => CrossEntropy(logits, g9);
}
