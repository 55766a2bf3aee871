namespace Amp;

/// <summary>
/// Sets the autocast region. On a model class it marks the class for the Amp generator and sets the
/// precision of every low-precision op; on a method it overrides the class's choice for that method.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class AutocastAttribute(Precision precision) : Attribute
{
    public Precision Precision { get; } = precision;

    /// <summary>
    /// On a model class: more precisions to plan the same definition in (<c>Also = [Precision.Fp32]</c>). Each gets
    /// its own <c>Plan{P}</c> and <c>Compiled{P}</c>, and <c>Compile(device, precision, options)</c> picks one, so one
    /// definition trains in several precisions from the same weights. Method-level [Autocast] stays as written.
    /// </summary>
    public Precision[] Also { get; set; } = [];

    /// <summary>
    /// Keeps every activation gradient in FP32 (the plan before PyTorch's rule). By default an activation's gradient
    /// takes the activation's precision, as in PyTorch: BF16/FP16 inside the autocast region, so the backward GEMMs read
    /// uniform low-precision operands and the backward moves half the bytes. Weight gradients are FP32 either way.
    /// </summary>
    public bool Fp32Gradients { get; set; }

    /// <summary>
    /// Rounds the operands of every FP32 matrix product of the plan to TF32 (10 mantissa bits, NVIDIA Ampere's tensor-core
    /// format) and accumulates in FP32: FP32 plans' Linear, MatMul, Conv2d and Attention products and [KeepFp32] layers,
    /// forward and backward. Low-precision products are unchanged. Cpu emulates it exactly (rounding while packing), so a
    /// model's accuracy under TF32 can be seen before a GPU runs it; Cuda runs it on tensor cores. <c>Plan</c> marks each op.
    /// On the class only.
    /// </summary>
    public bool Tf32 { get; set; }
}

/// <summary>Forces FP32 for a layer field or for every op of a method, whatever the autocast region says.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Method, Inherited = false)]
public sealed class KeepFp32Attribute : Attribute;

/// <summary>
/// Activation checkpointing on a [Module] field or class: none of the module's activations is kept for the backward;
/// its forward runs again just before its backward (as <c>torch.utils.checkpoint</c>), trading the FLOPs of one more
/// forward of the module for its activation memory. Gradients are bit-identical with and without it.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Class, Inherited = false)]
public sealed class RecomputeAttribute : Attribute;

/// <summary>Marks the method whose body is the model's forward graph.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ForwardAttribute : Attribute;

/// <summary>Marks the method that turns the forward output and the targets into the scalar training loss.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class LossAttribute : Attribute;

/// <summary>A reusable block: a partial class with layers and a [Forward] method, used as a field or an array of fields.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModuleAttribute : Attribute;

/// <summary>
/// The shape of a <c>Tensor</c> or <c>Tokens</c> input. Use <see cref="Ops.Batch"/> for the symbolic batch
/// dimension; every other dimension is a compile-time constant.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class ShapeAttribute(params int[] dimensions) : Attribute
{
    public IReadOnlyList<int> Dimensions { get; } = dimensions;
}

/// <summary>The number of classes of a <c>Labels</c> input (integer class targets in [0, count)).</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class ClassesAttribute(int count) : Attribute
{
    public int Count { get; } = count;
}
