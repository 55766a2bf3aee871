namespace Amp.Generator.Model;

/// <summary>The model with every node's shape (-1 is Batch; a scalar has no dimensions).</summary>
internal sealed record ShapedModel(ModelSpec Spec, EquatableArray<EquatableArray<int>> Shapes);

/// <summary>
/// One op of the precision plan: the parsed node with its shape, compute and output precision, the reason,
/// and the fused chain it belongs to (-1: none). Casts inserted by the precision pass are nodes too. Source is the
/// parsed node it comes from (a cast: the node it is inserted for), whose location the source map holds.
/// </summary>
internal sealed record PlannedNode(
    int Id,
    OpKind Kind,
    EquatableArray<int> Inputs,
    string Name,
    string? Layer,
    EquatableArray<int> Ints,
    float Float,
    bool Flag,
    EquatableArray<int> Shape,
    Precision Compute,
    Precision Output,
    string Reason,
    int Source,
    bool InLoss,
    int Chain)
{
    /// <summary>The op's second constant (see <see cref="NodeSpec.Float2"/>).</summary>
    public float Float2 { get; init; }
}

/// <summary>
/// A fused elementwise chain: the root node that stores the result, the leaf tensors it reads (at most four),
/// and the FP32 expression over x0..x3 that the Cpu and ILGPU code share.
/// </summary>
internal sealed record ChainSpec(int Index, int Root, EquatableArray<int> Leaves, string Expression, string Description);

/// <summary>
/// The backward of one leaf of a fused chain: d(chain)/d(leaf) as an FP32 expression over x0..x3, rendered for
/// scalars (host tails, ILGPU) and for Vector256 (constants become vectors).
/// </summary>
internal sealed record GradChainSpec(int Chain, int Leaf, string Scalar, string Vector);

/// <summary>The planned model: what the emitter writes.</summary>
internal sealed record PlanSpec(
    ModelSpec Spec,
    EquatableArray<PlannedNode> Nodes,
    EquatableArray<ChainSpec> Chains,
    int ForwardOutput,
    int LossOutput)
{
    /// <summary>The parsed nodes' shapes (from the Shapes step), kept so the emitter can plan the FP32 twin of this model.</summary>
    public EquatableArray<EquatableArray<int>> SpecShapes { get; init; } = EquatableArray<EquatableArray<int>>.Empty;

    /// <summary>Per node: whether its value depends on a weight, so the backward pass needs its gradient (set by Autodiff).</summary>
    public EquatableArray<bool> NeedsGradient { get; init; } = EquatableArray<bool>.Empty;

    /// <summary>The backward expressions of the fused chains' leaves that need a gradient (set by Autodiff).</summary>
    public EquatableArray<GradChainSpec> GradChains { get; init; } = EquatableArray<GradChainSpec>.Empty;

    /// <summary>A tuple [Forward]'s outputs after <see cref="ForwardOutput"/>, as planned node ids; none for one output.</summary>
    public EquatableArray<int> ExtraOutputs { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Every output of the [Forward], in order.</summary>
    public IEnumerable<int> Outputs => new[] { ForwardOutput }.Concat(ExtraOutputs);
}
