using static Amp.Ops;

using Amp;

namespace Models;

/// <summary>Causal self-attention: one fused qkv projection split three ways by three Linear layers.</summary>
[Module]
public partial class SelfAttention
{
    readonly Linear q = new(32, 32);
    readonly Linear k = new(32, 32);
    readonly Linear v = new(32, 32);
    readonly Linear proj = new(32, 32);

    [Forward]
    public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
}

[Module]
public partial class Block
{
    readonly LayerNorm ln1 = new(32);
    readonly SelfAttention attn = new();
    readonly LayerNorm ln2 = new(32);
    readonly Linear up = new(32, 64);
    readonly Linear down = new(64, 32);

    [Forward]
    public Tensor Apply(Tensor x)
    {
        x = x + attn.Apply(ln1.Apply(x));
        return x + Mlp(ln2.Apply(x));
    }

    Tensor Mlp(Tensor h) => down.Apply(Gelu(up.Apply(h)));
}

/// <summary>A GPT with a block array unrolled at compile time.</summary>
[Autocast(Precision.Bf16)]
public partial class TinyGpt
{
    readonly Embedding wte = new(40, 32);
    readonly Block[] blocks = Repeat<Block>(2);
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

/// <summary>The same GPT in FP16.</summary>
[Autocast(Precision.Fp16)]
public partial class TinyGptFp16
{
    readonly Embedding wte = new(40, 32);
    readonly Block[] blocks = Repeat<Block>(2);
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

/// <summary>The same GPT in FP32.</summary>
[Autocast(Precision.Fp32)]
public partial class TinyGptFp32
{
    readonly Embedding wte = new(40, 32);
    readonly Block[] blocks = Repeat<Block>(2);
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

/// <summary>TinyGpt with every activation gradient in FP32 (the plan before PyTorch's gradient rule).</summary>
[Autocast(Precision.Bf16, Fp32Gradients = true)]
public partial class TinyGptFp32Gradients
{
    readonly Embedding wte = new(40, 32);
    readonly Block[] blocks = Repeat<Block>(2);
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

/// <summary>TinyGpt with activation checkpointing on its blocks: gradients bit-identical to TinyGpt's.</summary>
[Autocast(Precision.Bf16)]
public partial class TinyGptRecompute
{
    readonly Embedding wte = new(40, 32);
    [Recompute] readonly Block[] blocks = Repeat<Block>(2);
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
