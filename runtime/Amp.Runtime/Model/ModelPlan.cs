using System.Text;

namespace Amp;

/// <summary>What an op of a compiled model is.</summary>
public enum OpKind
{
    Cast, Linear, LayerNorm, RmsNorm, Embedding, MatMul, Add, Sub, Mul, Scale, Relu, Gelu, Silu, Tanh, Sigmoid,
    Exp, Log, Softplus, Softmax, LogSoftmax, Sum, Mean, Reshape, Transpose, SplitHeads, MergeHeads, CausalMask, Attention,
    CrossEntropy, MseLoss, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Conv2d, Dropout, BatchNorm2d,
    Div, Sqrt, AddScalar, Clamp, Cat, Slice, BinaryCrossEntropyWithLogits, Where, MaskedFill, Expand, Arange,
}

/// <summary>
/// One op of the compile-time precision plan: <see cref="Name"/> is the layer's field path (<c>fc1</c>,
/// <c>blocks.0.attn.qkv</c>) or the op and its source line for functions (<c>Softmax@14</c>).
/// </summary>
/// <param name="Tf32">
/// True where the op's FP32 products round their operands to TF32 (<c>[Autocast(.., Tf32 = true)]</c>: a Linear, MatMul,
/// Conv2d or Attention computing in FP32, forward and backward); its <see cref="Compute"/> stays FP32 (FP32 accumulation).
/// </param>
public sealed record PlannedOp(string Name, OpKind Kind, Precision Compute, Precision Output, string Reason, int Line, string Shape, int FusedChain = -1, Precision? Gradient = null, bool Tf32 = false)
{
    /// <summary>The compute format in words: TF32 for FP32 products rounded to TF32, else the compute precision.</summary>
    public string ComputeName => Tf32 ? "TF32" : Compute.Name();

    public override string ToString() => $"{Name} {Kind} compute {ComputeName} -> {Output.Name()}{(Gradient is { } g ? $", gradient {g.Name()}" : string.Empty)} {Shape}: {Reason}";
}

/// <summary>
/// Bytes a compiled model of this plan allocates on its device, beside the same model planned in FP32. Buffers come
/// from the generator's liveness plan: tensors of one precision and size whose lifetimes (over forward, loss and
/// backward) do not overlap share one buffer.
/// </summary>
/// <param name="MasterWeightBytes">FP32 master weights.</param>
/// <param name="WorkingWeightBytes">Low-precision working copies of the weights (0 for an FP32 plan).</param>
/// <param name="GradientBytes">FP32 weight gradients.</param>
/// <param name="ActivationBytesPerSample">
/// Activation memory as PyTorch users mean it: the forward tensors the model keeps for its backward pass, per
/// sample, in their stored precisions (what autocast halves); the caller's inputs are not counted.
/// </param>
/// <param name="WorkspaceBytesPerSample">Everything a step allocates per sample beyond the weights: inputs, every buffer slot, activation gradients (FP32).</param>
/// <param name="WorkspaceFixedBytes">Buffers that do not grow with the batch (the loss and its gradient).</param>
/// <param name="Fp32ActivationBytesPerSample">Activation memory of the same model planned in FP32.</param>
/// <param name="Fp32WorkspaceBytesPerSample">Workspace of the same model planned in FP32.</param>
public sealed record MemoryPlan(
    long MasterWeightBytes,
    long WorkingWeightBytes,
    long GradientBytes,
    long ActivationBytesPerSample,
    long WorkspaceBytesPerSample,
    long WorkspaceFixedBytes,
    long Fp32ActivationBytesPerSample,
    long Fp32WorkspaceBytesPerSample)
{
    /// <summary>Optimizer state: AdamW keeps two FP32 moments per weight, SGD with momentum one buffer, plain SGD none.</summary>
    public long OptimizerStateBytes(TrainingOptions? options) => options?.Sgd switch
    {
        null => 2 * MasterWeightBytes,
        { Momentum: 0f } => 0,
        _ => MasterWeightBytes,
    };

    /// <summary>Everything a training session of <paramref name="batchSize"/> allocates.</summary>
    public long TrainingBytes(int batchSize, TrainingOptions? options) =>
        MasterWeightBytes + WorkingWeightBytes + GradientBytes + OptimizerStateBytes(options) + WorkspaceFixedBytes + ((long)batchSize * WorkspaceBytesPerSample);

    /// <summary>Activation bytes per sample of this plan as a fraction of the FP32 plan's.</summary>
    public double ActivationRatio => (double)ActivationBytesPerSample / Fp32ActivationBytesPerSample;
}

/// <summary>The precision plan of a model, decided at compile time by the Amp generator.</summary>
public sealed class ModelPlan(
    string model, Precision autocast, IReadOnlyList<PlannedOp> ops, MemoryPlan memory, bool fp32Gradients = false,
    long recomputeSavedBytesPerSample = 0, long recomputeFlopsPerSample = 0, bool tf32 = false, bool inferenceOnly = false)
{
    /// <summary>True for a model without a [Loss] method: it compiles to an <see cref="IInferenceModel"/> (Forward, checkpoints) and does not train.</summary>
    public bool InferenceOnly { get; } = inferenceOnly;

    /// <summary>
    /// True for <c>[Autocast(.., Tf32 = true)]</c>: every FP32 product of the plan (FP32 plans' Linear/MatMul/Conv2d/Attention,
    /// [KeepFp32] layers; forward and backward) rounds its operands to TF32 and accumulates in FP32 (ops with
    /// <see cref="PlannedOp.Tf32"/>).
    /// </summary>
    public bool Tf32 { get; } = tf32;

    /// <summary>[Recompute]: the activation bytes per sample not kept (against the same plan without it); 0 without [Recompute].</summary>
    public long RecomputeSavedBytesPerSample { get; } = recomputeSavedBytesPerSample;

    /// <summary>[Recompute]: the matrix-product FLOPs per sample of the module forwards run again in the backward.</summary>
    public long RecomputeFlopsPerSample { get; } = recomputeFlopsPerSample;

    public string Model { get; } = model;

    /// <summary>
    /// True when every activation gradient is FP32 (<c>[Autocast(.., Fp32Gradients = true)]</c>); false for PyTorch's
    /// rule, an activation's gradient in the activation's precision (each op's <see cref="PlannedOp.Gradient"/>).
    /// </summary>
    public bool Fp32Gradients { get; } = fp32Gradients;

    /// <summary>The class's autocast precision.</summary>
    public Precision Autocast { get; } = autocast;

    public IReadOnlyList<PlannedOp> Ops { get; } = ops;

    public MemoryPlan Memory { get; } = memory;

    /// <summary>The plan as a table, one op per line.</summary>
    public override string ToString()
    {
        string training = InferenceOnly ? "inference only: no [Loss]" : Fp32Gradients ? "FP32 activation gradients" : "each activation's gradient in its precision";
        var text = new StringBuilder($"{Model} (autocast {Autocast.Name()}{(Tf32 ? ", FP32 products in TF32" : string.Empty)}, {training})").AppendLine();
        foreach (PlannedOp op in Ops)
        {
            text.Append("  ").AppendLine(op.ToString());
        }

        return text.Append($"  memory: masters {Memory.MasterWeightBytes} B, working {Memory.WorkingWeightBytes} B, ")
            .Append($"activations {Memory.ActivationBytesPerSample} B/sample (FP32: {Memory.Fp32ActivationBytesPerSample}), ")
            .Append($"workspace {Memory.WorkspaceBytesPerSample} B/sample (FP32: {Memory.Fp32WorkspaceBytesPerSample})")
            .Append(RecomputeSavedBytesPerSample > 0 ? $"; [Recompute] saves {RecomputeSavedBytesPerSample} B/sample for {RecomputeFlopsPerSample} product FLOPs/sample" : string.Empty).ToString();
    }
}
