using System.Text;

namespace Amp;

/// <summary>What an op of a compiled model is.</summary>
public enum OpKind
{
    Cast, Linear, LayerNorm, RmsNorm, Embedding, MatMul, Add, Sub, Mul, Scale, Relu, Gelu, Silu, Tanh, Sigmoid,
    Exp, Log, Softmax, LogSoftmax, Sum, Mean, Reshape, Transpose, SplitHeads, MergeHeads, CausalMask, Attention,
    CrossEntropy, MseLoss,
}

/// <summary>
/// One op of the compile-time precision plan: <see cref="Name"/> is the layer's field path (<c>fc1</c>,
/// <c>blocks.0.attn.qkv</c>) or the op and its source line for functions (<c>Softmax@14</c>).
/// </summary>
public sealed record PlannedOp(string Name, OpKind Kind, Precision Compute, Precision Output, string Reason, int Line, string Shape, int FusedChain = -1)
{
    public override string ToString() => $"{Name} {Kind} compute {Compute.Name()} -> {Output.Name()} {Shape}: {Reason}";
}

/// <summary>Bytes the plan needs, beside the same model planned in FP32.</summary>
/// <param name="MasterWeightBytes">FP32 master weights.</param>
/// <param name="WorkingWeightBytes">Low-precision working copies of the weights (0 for an FP32 plan).</param>
/// <param name="ActivationBytesPerSample">Every forward tensor stored per sample, in its planned storage precision.</param>
/// <param name="Fp32ActivationBytesPerSample">The same tensors stored in FP32.</param>
public sealed record MemoryPlan(long MasterWeightBytes, long WorkingWeightBytes, long ActivationBytesPerSample, long Fp32ActivationBytesPerSample);

/// <summary>The precision plan of a model, decided at compile time by the Amp generator.</summary>
public sealed class ModelPlan(string model, Precision autocast, IReadOnlyList<PlannedOp> ops, MemoryPlan memory)
{
    public string Model { get; } = model;

    /// <summary>The class's autocast precision.</summary>
    public Precision Autocast { get; } = autocast;

    public IReadOnlyList<PlannedOp> Ops { get; } = ops;

    public MemoryPlan Memory { get; } = memory;

    /// <summary>The plan as a table, one op per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"{Model} (autocast {Autocast.Name()})").AppendLine();
        foreach (PlannedOp op in Ops)
        {
            text.Append("  ").AppendLine(op.ToString());
        }

        return text.Append($"  memory: masters {Memory.MasterWeightBytes} B, working {Memory.WorkingWeightBytes} B, ")
            .Append($"activations {Memory.ActivationBytesPerSample} B/sample (FP32: {Memory.Fp32ActivationBytesPerSample})").ToString();
    }
}
