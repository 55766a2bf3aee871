namespace Amp.Generator.Model;

/// <summary>Mirrors Amp.Precision (the generator cannot reference the runtime).</summary>
internal enum Precision
{
    Fp32,
    Bf16,
    Fp16,
}

internal static class PrecisionNames
{
    public static string Name(this Precision p) => p switch
    {
        Precision.Bf16 => "BF16",
        Precision.Fp16 => "FP16",
        _ => "FP32",
    };
}

/// <summary>Mirrors Amp.OpKind, plus the graph's inputs.</summary>
internal enum OpKind
{
    Input, Cast, Linear, LayerNorm, RmsNorm, Embedding, MatMul, Add, Sub, Mul, Scale, Relu, Gelu, Silu, Tanh, Sigmoid,
    Exp, Log, Softplus, Softmax, LogSoftmax, Sum, Mean, Reshape, Transpose, SplitHeads, MergeHeads, CausalMask, Attention,
    CrossEntropy, MseLoss, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Conv2d, Dropout, BatchNorm2d,
    Div, Sqrt, AddScalar, Clamp, Cat, Slice, BinaryCrossEntropyWithLogits, Where, MaskedFill, Expand, Arange,
}

internal enum LayerKind
{
    Linear,
    LayerNorm,
    RmsNorm,
    Embedding,
    Conv2d,
    BatchNorm2d,
    Dropout,
}

internal enum InputKind
{
    Features,
    Tokens,
    Labels,
}

/// <summary>One constant argument of a layer's constructor, by parameter name (bool as 0/1, defaults included).</summary>
internal sealed record LayerArgument(string Name, double Value);

/// <summary>
/// A layer with every constant argument of its constructor, at its PyTorch path (<c>blocks.0.attn.qkv</c>). Its
/// op row says which arguments are the widths and the bias switch: A = input width (Linear in, norm dim, Embedding
/// vocab), B = output width (Linear out, Embedding dim).
/// </summary>
internal sealed record LayerSpec(string Path, LayerKind Kind, EquatableArray<LayerArgument> Arguments, string? KeepFp32Reason)
{
    private LayerRow Row => OpTable.ForLayer(Kind).Layer!;

    public int A => Int(Row.InWidth);

    public int B => Row.OutWidth is { } name ? Int(name) : 0;

    public bool Bias => Row.BiasArgument is { } name ? Float(name) != 0 : Row.FixedBias;

    public float Eps => Float("eps");

    public int Int(string name) => (int)Float(name);

    /// <summary>The argument's value; 0 when the constructor has no such parameter.</summary>
    public float Float(string name) => (float)(Arguments.FirstOrDefault(a => a.Name == name)?.Value ?? 0);

    /// <summary>
    /// The layer as a Linear op reads it: in and out widths, bias. An Embedding read by <c>Attend</c> (weight tying) is
    /// [dim] -> [vocab] without bias: its weight [vocab, dim] is a Linear's [out, in].
    /// </summary>
    public (int In, int Out, bool Bias) AsLinear => Kind == LayerKind.Embedding ? (B, A, false) : (A, B, Bias);
}

/// <summary>A definition parameter: per-sample dimensions (after Batch), id limit, loss-only.</summary>
internal sealed record InputSpec(string Name, InputKind Kind, EquatableArray<int> SampleShape, int Limit, bool LossOnly);

/// <summary>
/// Where an op was written: the autocast region in force, and why (class, method); a KeepFp32 or explicit
/// per-call override with its reason.
/// </summary>
internal sealed record RegionSpec(Precision Autocast, string AutocastSource, string? KeepFp32Reason)
{
    /// <summary>True while the region's autocast is the class's own (a precision variant replaces it); false under a method's [Autocast].</summary>
    public bool FromClass { get; init; }
}

/// <summary>
/// One op of the graph as parsed: inputs are node ids; Layer is the layer path (Linear, norms, Embedding);
/// Ints and Float are its constant arguments (reshape dimensions, heads; scale factor); Flag is Attention's causal.
/// Its location is in the model's <see cref="SourceMap"/> under the same id; a name that shows a line holds a token.
/// </summary>
internal sealed record NodeSpec(
    int Id,
    OpKind Kind,
    EquatableArray<int> Inputs,
    string Name,
    string? Layer,
    EquatableArray<int> Ints,
    float Float,
    bool Flag,
    Precision? Override,
    RegionSpec Region,
    bool InLoss)
{
    /// <summary>The op's second constant where it has two (Clamp's max; {c2} in its formula); <see cref="Float"/> is the first.</summary>
    public float Float2 { get; init; }
}

/// <summary>
/// One inlined call of a [Module]'s forward: the instance's path (<c>blocks.3</c>), the module's type and argument
/// list (<see cref="Module"/>; calls of one key run the same code) and the parsed nodes it added, [First, End).
/// </summary>
internal sealed record ModuleCallSpec(string Path, string Module, int First, int End)
{
    /// <summary>[Recompute] on the instance's field or class: its activations are recomputed in the backward, not kept.</summary>
    public bool Recompute { get; init; }
}

/// <summary>A field of a model or module class, for the generated parameter walk.</summary>
internal sealed record FieldSpec(string Name, string? LayerType, string? ModuleType, int ArrayLength, bool Nullable = false);

/// <summary>The parsed model: everything the passes and the emitter need, and nothing from Roslyn.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    Precision Autocast,
    EquatableArray<FieldSpec> Fields,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<InputSpec> Inputs,
    EquatableArray<NodeSpec> Nodes,
    int ForwardOutput,
    int LossOutput,
    string ForwardMethod,
    string? LossMethod)
{
    /// <summary>The other precisions the class asks for (<c>[Autocast(.., Also = ..)]</c>), as Precision values (enums are not IEquatable).</summary>
    public EquatableArray<int> Variants { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Every module forward the graph inlined (nested calls included), in call order: where one body per module can be emitted.</summary>
    public EquatableArray<ModuleCallSpec> Calls { get; init; } = EquatableArray<ModuleCallSpec>.Empty;

    /// <summary>
    /// <c>[Autocast(.., Fp32Gradients = true)]</c>: every activation gradient FP32. Otherwise PyTorch's rule: an
    /// activation's gradient takes the activation's precision (weight gradients are FP32 either way).
    /// </summary>
    public bool Fp32Gradients { get; init; }

    /// <summary>The [Forward]'s outputs after the first (<see cref="ForwardOutput"/>) when it returns a tuple, in order; none otherwise.</summary>
    public EquatableArray<int> ExtraOutputs { get; init; } = EquatableArray<int>.Empty;

    /// <summary>A tuple [Forward]'s element names (the typed Forward returns a tuple of arrays with them); none for one output.</summary>
    public EquatableArray<string> OutputNames { get; init; } = EquatableArray<string>.Empty;

    /// <summary><c>[Autocast(.., Tf32 = true)]</c>: FP32 products round their operands to TF32 (a Linear, MatMul, Conv2d or Attention computing in FP32).</summary>
    public bool Tf32 { get; init; }

    /// <summary>True for a precision variant: the same definition re-planned in <see cref="Autocast"/>.</summary>
    public bool IsVariant { get; init; }

    /// <summary>The suffix of a variant's names (PlanFp32, CompiledFp32); empty for the class's own precision.</summary>
    public string Suffix => IsVariant ? Autocast.ToString() : string.Empty;

    /// <summary>The model's identity across the pipeline (its source map is found by it).</summary>
    public string Key => Namespace is null ? ClassName : Namespace + "." + ClassName;

    /// <summary>The same definition planned in <paramref name="precision"/>: every region that takes the class's autocast takes this one.</summary>
    public ModelSpec AsVariant(Precision precision) => this with
    {
        Autocast = precision,
        IsVariant = true,
        Nodes = Nodes.Select(n => n.Region.FromClass
            ? n with { Region = n.Region with { Autocast = precision, AutocastSource = $"[Autocast({precision.Name()})] variant of class {ClassName}" } }
            : n).ToEquatableArray(),
    };
}

/// <summary>The result of a step: a value (null when errors block generation) and the diagnostics so far.</summary>
internal sealed record StepResult<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class;

/// <summary>A [Module] class: its fields, for its generated parameter walk.</summary>
internal sealed record ModuleSpec(string? Namespace, string ClassName, EquatableArray<FieldSpec> Fields);
