using Amp.Generator.Passes;

namespace Amp.Generator.Model;

/// <summary>
/// An op's category in the precision policy (DESIGN "Precision policy", from PyTorch's autocast lists). The
/// precision pass decides every op by its row's category; docs/precision-policy.md's table is generated from it.
/// </summary>
internal enum OpPolicy
{
    /// <summary>A graph input: FP32 from the host.</summary>
    Input,

    /// <summary>Inserted by the precision pass where an op reads another precision.</summary>
    Cast,

    /// <summary>Autocast type in, FP32 accumulation, autocast type out (matrix products).</summary>
    LowPrecision,

    /// <summary>FP32 list: inputs upcast, FP32 out; an explicit precision may change the stored output.</summary>
    Fp32,

    /// <summary>A loss: FP32 list, and the loss is always FP32.</summary>
    Loss,

    /// <summary>The widest input wins (FP32 beats 16 bits).</summary>
    Promote,

    /// <summary>FP32 registers, stored in its input's type.</summary>
    Elementwise,

    /// <summary>Moves values without arithmetic worth widening: keeps its input's type.</summary>
    Layout,

    /// <summary>On no autocast list: reads the FP32 master weight (a gather).</summary>
    Fp32Weights,

    /// <summary>Batch normalisation: FP32 statistics and normalisation, stored in its input's type (cuDNN's rule, off PyTorch's FP32 list).</summary>
    Normalization,
}

/// <summary>
/// The FP32 formula of an elementwise op and its derivative with respect to each input, as C# over
/// <c>{0}</c>, <c>{1}</c> (the inputs) and <c>{c}</c> (the op's constant). A derivative of <c>1</c>, <c>-1</c> or
/// <c>{c}</c> folds as a constant. Fusion inlines the formula into a chain; autodiff differentiates the chain with
/// the derivatives (chain rule: d/dleaf = sum over inputs of derivative * d(input)/dleaf).
/// </summary>
internal sealed record ElementwiseMath(string Formula, params string[] Derivatives);

/// <summary>
/// The layer that applies an op (<c>fc1.Apply(x)</c>): its runtime type, and which constructor arguments (read as
/// constants, all of them, defaults included) are its input width, output width and bias switch.
/// </summary>
internal sealed record LayerRow(string TypeName, LayerKind Kind, string InWidth, string? OutWidth, string? BiasArgument, bool FixedBias)
{
    /// <summary>Whether the layer owns trainable weights (Dropout's layer form has none).</summary>
    public bool Weights { get; init; } = true;

    /// <summary>The layer's buffers (state that is not trained), PyTorch names, in state_dict order; none for most layers.</summary>
    public IReadOnlyList<BufferRow> Buffers { get; init; } = [];
}

/// <summary>A buffer of a layer: its PyTorch name, and whether it is a rank-0 I64 counter (else an FP32 tensor of one value per channel).</summary>
internal sealed record BufferRow(string Name, bool Counter);

/// <summary>
/// Everything the generator and the analyzers know about one op. Parser (name, layer), shapes (rule), precision
/// (policy), fusion and autodiff (elementwise math), which tensors need gradients (owns weights) and the docs'
/// policy table all read this row; <see cref="OpTable"/> holds one per <see cref="OpKind"/>.
/// </summary>
/// <param name="Kind">The op.</param>
/// <param name="Policy">Its category in the precision policy.</param>
/// <param name="Arity">How many graph inputs it reads.</param>
/// <param name="Shape">Its shape rule.</param>
/// <param name="OpsName">Its name in <c>Amp.Ops</c>, or null (a layer's Apply, or inserted by a pass).</param>
/// <param name="Layer">The layer that applies it, or null.</param>
/// <param name="Math">Its FP32 formula and derivatives when it is elementwise (fusable), else null.</param>
/// <param name="Backward">How its gradient reaches its inputs, in words (docs and Plan readers).</param>
internal sealed record OpRow(
    OpKind Kind,
    OpPolicy Policy,
    int Arity,
    ShapeRule Shape,
    string? OpsName = null,
    LayerRow? Layer = null,
    ElementwiseMath? Math = null,
    string Backward = "")
{
    /// <summary>Whether it owns trainable weights (everything computed from it needs a gradient).</summary>
    public bool OwnsWeights => Layer is { Weights: true };

    /// <summary>Fused into elementwise chains (FP32 registers, one rounding at the chain's output).</summary>
    public bool IsElementwise => Math is not null;

    /// <summary>How the op appears in the docs' policy table (Attention contributes its two products).</summary>
    public string? DocName { get; init; }

    /// <summary>
    /// A loss that is the mean of a per-element formula over <c>x0</c> (the prediction) and <c>x1</c> (the target):
    /// that formula, fused as a chain of its own into an FP32 scratch that a RowMean reduces; its backward is the
    /// device's <c>{Kind}Backward</c>. Null for every other op.
    /// </summary>
    public string? MeanOf { get; init; }

    /// <summary>The first input is a condition (nonzero is true): read as stored, never promoted, no gradient (Where).</summary>
    public bool Condition { get; init; }

    /// <summary>Appended to the precision reason (Attention: its softmax runs in FP32).</summary>
    public string ReasonNote { get; init; } = string.Empty;
}
