using Amp.Generator.Emit;
using Amp.Generator.Model;
using Amp.Generator.Passes;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

/// <summary>Writes one op's forward or backward step at <paramref name="site"/>.</summary>
internal delegate void EmitOp(StepWriter writer, CodeWriter w, OpSite site);

/// <summary>An op's forward emitter and its backward emitter (null: its gradient is a view of its input's, no pass).</summary>
internal sealed record OpEmitter(EmitOp Forward, EmitOp? Backward);

/// <summary>
/// Where an op is emitted: the planned node, its first input's shape and its layer; and, named through the writer
/// so that each use is recorded as a read or a write of the step, its first input's local, in the backward its output
/// gradient and its first input's gradient (null when that input needs none).
/// </summary>
internal sealed class OpSite(StepWriter writer, PlannedNode node, int[] xs, LayerSpec? layer, bool inputNeedsGradient)
{
    public PlannedNode Node { get; } = node;

    public int[] Xs { get; } = xs;

    public LayerSpec? Layer { get; } = layer;

    /// <summary>The first input's value (read).</summary>
    public string X => writer.T(Node.Inputs[0]);

    /// <summary>The gradient of this op's output (read).</summary>
    public string Dy => writer.Dy(Node.Id);

    /// <summary>The first input's gradient (accumulated into), or null when it needs none.</summary>
    public string? Gx => inputNeedsGradient ? writer.G(Node.Inputs[0]) : null;

    /// <summary>
    /// The first input's gradient for a statement that can write all of it (see <see cref="StepWriter.GInto"/>):
    /// <paramref name="overwrite"/> says whether it must write (nothing added to it yet) rather than add.
    /// </summary>
    public string GxInto(out bool overwrite) => writer.GInto(Node.Inputs[0], out overwrite);
}

// The emitters of the op table's ops, each op's forward beside its backward (llm.c style). Every row of OpTable has
// an emitter (OpTableTests); the elementwise rows share the fused-chain pair without an entry of their own.
internal sealed partial class StepWriter
{
    /// <summary>Elementwise ops: the fused chain rooted here, and its symbolic derivative per leaf (declared first: static initializers run in order).</summary>
    private static readonly OpEmitter Chain = new(
        static (e, w, s) => e.ChainForward(w, s),
        static (e, w, s) => e.WriteChainBackward(w, s.Node));

    /// <summary>The emitter of an op: its own entry, the fused-chain pair for an elementwise row, else null (AMP1999 before Emit).</summary>
    internal static OpEmitter? EmitterOf(OpKind kind) =>
        Emitters.TryGetValue(kind, out OpEmitter? own) ? own : OpTable.Find(kind)?.IsElementwise == true ? Chain : null;

    /// <summary>The ops with an emitter of their own (elementwise rows share <see cref="Chain"/> and need no entry).</summary>
    private static readonly IReadOnlyDictionary<OpKind, OpEmitter> Emitters = new Dictionary<OpKind, OpEmitter>
    {
        [OpKind.Input] = new(static (e, w, s) => e.DeclareInput(w, $"t{s.Node.Id}", s.Node.Name), null),
        [OpKind.Cast] = new(static (e, w, s) => e.CastForward(w, s), static (e, w, s) => e.CastBackward(w, s)),
        [OpKind.Reshape] = new(static (e, w, s) => e.DeclareView(w, $"t{s.Node.Id}", s.X, $"{s.X}.Reshape({Dims(s.Node.Shape)})"), null),
        [OpKind.Flatten] = new(static (e, w, s) => e.DeclareView(w, $"t{s.Node.Id}", s.X, $"{s.X}.Reshape({Dims(s.Node.Shape)})"), null),
        [OpKind.MaxPool2d] = new(static (e, w, s) => e.PoolForward(w, s), static (e, w, s) => e.PoolBackward(w, s)),
        [OpKind.AvgPool2d] = new(static (e, w, s) => e.PoolForward(w, s), static (e, w, s) => e.PoolBackward(w, s)),
        [OpKind.AdaptiveAvgPool2d] = new(static (e, w, s) => e.PoolForward(w, s), static (e, w, s) => e.PoolBackward(w, s)),
        [OpKind.Linear] = new(static (e, w, s) => e.LinearForward(w, s), static (e, w, s) => e.LinearBackward(w, s)),
        [OpKind.Conv2d] = new(static (e, w, s) => e.Conv2dForward(w, s), static (e, w, s) => e.Conv2dBackward(w, s)),
        [OpKind.Dropout] = new(static (e, w, s) => e.DropoutForward(w, s), static (e, w, s) => e.DropoutBackward(w, s)),
        [OpKind.LayerNorm] = new(static (e, w, s) => e.LayerNormForward(w, s), static (e, w, s) => e.LayerNormBackward(w, s)),
        [OpKind.BatchNorm2d] = new(static (e, w, s) => e.BatchNorm2dForward(w, s), static (e, w, s) => e.BatchNorm2dBackward(w, s)),
        [OpKind.RmsNorm] = new(static (e, w, s) => e.RmsNormForward(w, s), static (e, w, s) => e.RmsNormBackward(w, s)),
        [OpKind.Embedding] = new(static (e, w, s) => e.EmbeddingForward(w, s), static (e, w, s) => e.EmbeddingBackward(w, s)),
        [OpKind.MatMul] = new(static (e, w, s) => e.MatMulForward(w, s), static (e, w, s) => e.MatMulBackward(w, s)),
        [OpKind.Softmax] = new(static (e, w, s) => e.SoftmaxForward(w, s), static (e, w, s) => e.SoftmaxBackward(w, s)),
        [OpKind.LogSoftmax] = new(static (e, w, s) => e.SoftmaxForward(w, s), static (e, w, s) => e.SoftmaxBackward(w, s)),
        [OpKind.Sum] = new(static (e, w, s) => e.ReduceForward(w, s), static (e, w, s) => e.ReduceBackward(w, s)),
        [OpKind.Mean] = new(static (e, w, s) => e.ReduceForward(w, s), static (e, w, s) => e.ReduceBackward(w, s)),
        [OpKind.CausalMask] = new(static (e, w, s) => e.CausalMaskForward(w, s), static (e, w, s) => e.CausalMaskBackward(w, s)),
        [OpKind.Arange] = new(static (e, w, s) => e.ArangeForward(w, s), null),
        [OpKind.Expand] = new(static (e, w, s) => e.ExpandForward(w, s), static (e, w, s) => e.ExpandBackward(w, s)),
        [OpKind.Cat] = new(static (e, w, s) => e.CatForward(w, s), static (e, w, s) => e.CatBackward(w, s)),
        [OpKind.Slice] = new(static (e, w, s) => e.SliceForward(w, s), static (e, w, s) => e.SliceBackward(w, s)),
        [OpKind.Transpose] = new(static (e, w, s) => e.TransposeForward(w, s), static (e, w, s) => e.TransposeBackward(w, s)),
        [OpKind.SplitHeads] = new(static (e, w, s) => e.SplitHeadsForward(w, s), static (e, w, s) => e.SplitHeadsBackward(w, s)),
        [OpKind.MergeHeads] = new(static (e, w, s) => e.MergeHeadsForward(w, s), static (e, w, s) => e.MergeHeadsBackward(w, s)),
        [OpKind.Attention] = new(static (e, w, s) => e.WriteAttention(w, s.Node, s.Xs), static (e, w, s) => e.WriteAttentionBackward(w, s.Node, s.Xs)),
        [OpKind.CrossEntropy] = new(static (e, w, s) => e.CrossEntropyForward(w, s), static (e, w, s) => e.CrossEntropyBackward(w, s)),
        [OpKind.MseLoss] = new(static (e, w, s) => e.MeanLossForward(w, s), static (e, w, s) => e.MeanLossBackward(w, s)),
        [OpKind.BinaryCrossEntropyWithLogits] = new(static (e, w, s) => e.MeanLossForward(w, s), static (e, w, s) => e.MeanLossBackward(w, s)),
    };

    private OpSite Site(PlannedNode n)
    {
        int[] xs = n.Inputs.Count > 0 ? plan.Nodes[n.Inputs[0]].Shape.ToArray() : [];
        LayerSpec? layer = n.Layer is null ? null : spec.Layers.First(l => l.Path == n.Layer);
        return new OpSite(this, n, xs, layer, n.Inputs.Count > 0 && Needs(n.Inputs[0]));
    }

    private void ChainForward(CodeWriter w, OpSite s) => w.Line(MapCall(plan.Chains[s.Node.Chain], Buffer(w, s.Node)));

    private void CastForward(CodeWriter w, OpSite s)
    {
        string x = s.X;
        w.Line($"{Device}.Cast({x}, {Buffer(w, s.Node)});");
    }

    // A Cast's backward where its gradient and its input's differ in precision (else the two are one buffer): dx += dy, converted once.
    private void CastBackward(CodeWriter w, OpSite s) => w.Line($"{Device}.AccumulateRows({s.Dy}, {s.Gx});");

    // Linear: y = x W^T + b on the working copy of W. An Embedding's Attend is the same product on the embedding's own
    // weight (weight tying): one parameter, whose gradient gathers both uses.
    private void LinearForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        (int a, int b, bool hasBias) = layer.AsLinear;
        string y = Buffer(w, n);
        string bias = hasBias ? $", Bias = {StepTokens.Parameter(layer.Path + ".bias")}.Working({Ns}Precision.{n.Compute})" : string.Empty;
        w.Line($"{Device}.Gemm({s.X}.Reshape({Rows(s.Xs)}, {a}), {StepTokens.Parameter(layer.Path + ".weight")}.Working({Ns}Precision.{n.Compute}), {y}.Reshape({Rows(n.Shape)}, {b}),")
         .Line($"    {Options(n, $"TransposeB = true{bias}")});");
    }

    private void LinearBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        (int a, int b, bool hasBias) = layer.AsLinear;
        string weight = StepTokens.Parameter(layer.Path + ".weight");
        if (Needs(n.Inputs[0]))
        {
            string dy = s.Dy, dx = s.GxInto(out bool overwrite);
            w.Line($"{Device}.Gemm({dy}.Reshape({Rows(n.Shape)}, {b}), {weight}.Working({Ns}Precision.{n.Compute}), {dx}.Reshape({Rows(s.Xs)}, {a}){(overwrite ? Tf32Options(n) : $", {Named(n, "Accumulate")}")});");
        }

        w.Line($"{Device}.Gemm({s.Dy}.Reshape({Rows(n.Shape)}, {b}), {s.X}.Reshape({Rows(s.Xs)}, {a}), {weight}.Gradient, {Named(n, "AccumulateTransposeA")});");
        if (hasBias)
        {
            w.Line($"{Device}.AccumulateRows({s.Dy}, {StepTokens.Parameter(layer.Path + ".bias")}.Gradient);");
        }
    }

    // Conv2d: the patches of x as columns (in x's precision: the product reads uniform operands), y = W cols for every
    // sample (W [O, C k k] shared), plus the bias per channel. The backward makes the columns again rather than keeping them.
    // Conv2dForward and Conv2dWeightGradient are implicit GEMMs on Cpu (the columns gathered from the image while packing);
    // the columns' buffers are planned for devices that write them out (ILGPU).
    private static string Geometry(LayerSpec l) => $"{Int(l.Int("kernelSize"))}, {Int(l.Int("stride"))}, {Int(l.Int("padding"))}, {Int(l.Int("dilation"))}";

    private static (int Patch, string Pixels) Columns(OpSite s) =>
        (s.Layer!.A * s.Layer.Int("kernelSize") * s.Layer.Int("kernelSize"), Int((long)s.Node.Shape[2] * s.Node.Shape[3]));

    private void Conv2dForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        if (layer.Int("groups") > 1)
        {
            GroupedConv2dForward(w, s);
            return;
        }

        (int patch, string pixels) = Columns(s);
        string cols = Scratch(w, n, "Cols", StoredAs(s.Node.Inputs[0]), [Passes.Shapes.Batch, patch, (int)(s.Node.Shape[2] * s.Node.Shape[3])]);
        string y = Buffer(w, n);
        // y = W cols(x): the columns gathered while packing on Cpu (the buffer is for devices that write them out).
        w.Line($"{Device}.Conv2dForward({s.X}, {StepTokens.Parameter(layer.Path + ".weight")}.Working({Ns}Precision.{n.Compute}), {cols}, {y}.Reshape(B, {Int(layer.B)}, {pixels}), {Geometry(layer)}{Tf32Options(n)});");
        if (layer.Bias)
        {
            w.Line($"{Device}.AddChannelBias({y}.Reshape(B, {Int(layer.B)}, {pixels}), {StepTokens.Parameter(layer.Path + ".bias")}.Master);");
        }
    }

    private void Conv2dBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        if (layer.Int("groups") > 1)
        {
            GroupedConv2dBackward(w, s);
            return;
        }

        (int patch, string pixels) = Columns(s);
        int[] colShape = [Passes.Shapes.Batch, patch, (int)(s.Node.Shape[2] * s.Node.Shape[3])];
        string weight = StepTokens.Parameter(layer.Path + ".weight");
        string dy = $"{s.Dy}.Reshape(B, {Int(layer.B)}, {pixels})";

        // dX: the column gradients W^T dY (FP32), added back onto the pixels they were read from.
        if (Needs(n.Inputs[0]))
        {
            string dcols = Gradient(w, $"g{n.Id}Cols", Precision.Fp32, colShape, zeroed: false);   // the product writes all of it
            w.Line($"{Device}.Gemm({weight}.Working({Ns}Precision.{n.Compute}).Reshape({Int(layer.B)}, {Int(patch)}), {dy}, {dcols}, {Options(n, "TransposeA = true")});")
             .Line($"{Device}.Col2ImAccumulate({dcols}, {s.Gx}, {Geometry(layer)});");
        }

        // dW += dY cols^T summed over the batch: both with the batch moved inside ([O, B, P], [C k k, B, P] — on Cpu the
        // columns' side is gathered from x while packing), one product over B P; db += dY summed per channel.
        int pixelCount = (int)(s.Node.Shape[2] * s.Node.Shape[3]);
        string cols = Declare(w, $"t{n.Id}ColsB", StoredAs(s.Node.Inputs[0]), colShape);
        string colsT = Declare(w, $"t{n.Id}ColsT", StoredAs(s.Node.Inputs[0]), [patch, Passes.Shapes.Batch, pixelCount]);
        string dyT = Declare(w, $"t{n.Id}DyT", GradientOf(n.Id), [layer.B, Passes.Shapes.Batch, pixelCount]);
        w.Line($"{Device}.SwapMiddle({s.Dy}, {dyT}, 1, B, {Int(layer.B)}, {pixels});")
         .Line($"{Device}.Conv2dWeightGradient({dyT}, {s.X}, {cols}, {colsT}, {weight}.Gradient.Reshape({Int(layer.B)}, {Int(patch)}), {Geometry(layer)}, {Named(n, "AccumulateTransposeB")});");
        if (layer.Bias)
        {
            w.Line($"{Device}.ChannelSumAccumulate({dy}, {StepTokens.Parameter(layer.Path + ".bias")}.Gradient);");
        }
    }

    // Grouped Conv2d (groups G > 1): the columns' rows of group g are its channels' patches, contiguous, and the weight
    // is [G, O/G, R] with R = (C/G) k k. With the batch moved inside ([patch, B, P], [O, B, P]) each group is one plain
    // product over B P, so the G groups are one batched GEMM: Y_g [O/G, B P] = W_g [O/G, R] cols_g [R, B P].
    private (int Groups, int GroupOut, int Rows, int Patch, int Pixels) Grouping(OpSite s)
    {
        LayerSpec layer = s.Layer!;
        int groups = layer.Int("groups"), k = layer.Int("kernelSize");
        return (groups, layer.B / groups, layer.A / groups * k * k, layer.A * k * k, (int)(s.Node.Shape[2] * s.Node.Shape[3]));
    }

    private void GroupedConv2dForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        (int groups, int groupOut, int rows, int patch, int pixels) = Grouping(s);
        string cols = Scratch(w, n, "Cols", StoredAs(n.Inputs[0]), [Passes.Shapes.Batch, patch, pixels]);
        string colsT = Scratch(w, n, "ColsT", StoredAs(n.Inputs[0]), [patch, Passes.Shapes.Batch, pixels]);
        string yT = Scratch(w, n, "YT", n.Output, [layer.B, Passes.Shapes.Batch, pixels]);
        string y = Buffer(w, n);
        w.Line($"{Device}.Im2Col({s.X}, {cols}, {Geometry(layer)});")
         .Line($"{Device}.SwapMiddle({cols}, {colsT}, 1, B, {Int(patch)}, {Int(pixels)});")
         .Line($"{Device}.Gemm({StepTokens.Parameter(layer.Path + ".weight")}.Working({Ns}Precision.{n.Compute}).Reshape({Int(groups)}, {Int(groupOut)}, {Int(rows)}), {colsT}.Reshape({Int(groups)}, {Int(rows)}, B * {Int(pixels)}), {yT}.Reshape({Int(groups)}, {Int(groupOut)}, B * {Int(pixels)}){Tf32Options(n)});")
         .Line($"{Device}.SwapMiddle({yT}, {y}.Reshape(B, {Int(layer.B)}, {Int(pixels)}), 1, {Int(layer.B)}, B, {Int(pixels)});");
        if (layer.Bias)
        {
            w.Line($"{Device}.AddChannelBias({y}.Reshape(B, {Int(layer.B)}, {Int(pixels)}), {StepTokens.Parameter(layer.Path + ".bias")}.Master);");
        }
    }

    private void GroupedConv2dBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        LayerSpec layer = s.Layer!;
        (int groups, int groupOut, int rows, int patch, int pixels) = Grouping(s);
        string weight = StepTokens.Parameter(layer.Path + ".weight");
        string cols = Declare(w, $"t{n.Id}ColsB", StoredAs(n.Inputs[0]), [Passes.Shapes.Batch, patch, pixels]);
        string colsT = Declare(w, $"t{n.Id}ColsBT", StoredAs(n.Inputs[0]), [patch, Passes.Shapes.Batch, pixels]);
        string dyT = Declare(w, $"t{n.Id}DyT", GradientOf(n.Id), [layer.B, Passes.Shapes.Batch, pixels]);
        string perGroup = $"B * {Int(pixels)}";
        w.Line($"{Device}.SwapMiddle({s.Dy}, {dyT}, 1, B, {Int(layer.B)}, {Int(pixels)});");

        // dX: per group dcols_g [R, B P] = W_g^T dY_g (FP32), moved back to [B, patch, P] and added onto the pixels.
        if (Needs(n.Inputs[0]))
        {
            string dcolsT = Gradient(w, $"g{n.Id}ColsT", Precision.Fp32, [patch, Passes.Shapes.Batch, pixels], zeroed: false);   // the product writes all of it
            string dcols = Declare(w, $"g{n.Id}Cols", Precision.Fp32, [Passes.Shapes.Batch, patch, pixels]);
            w.Line($"{Device}.Gemm({weight}.Working({Ns}Precision.{n.Compute}).Reshape({Int(groups)}, {Int(groupOut)}, {Int(rows)}), {dyT}.Reshape({Int(groups)}, {Int(groupOut)}, {perGroup}), {dcolsT}.Reshape({Int(groups)}, {Int(rows)}, {perGroup}), {Options(n, "TransposeA = true")});")
             .Line($"{Device}.SwapMiddle({dcolsT}, {dcols}, 1, {Int(patch)}, B, {Int(pixels)});")
             .Line($"{Device}.Col2ImAccumulate({dcols}, {s.Gx}, {Geometry(layer)});");
        }

        // dW_g += dY_g cols_g^T over B P, for every group in one batched product; db += dY summed per channel.
        w.Line($"{Device}.Im2Col({s.X}, {cols}, {Geometry(layer)});")
         .Line($"{Device}.SwapMiddle({cols}, {colsT}, 1, B, {Int(patch)}, {Int(pixels)});")
         .Line($"{Device}.Gemm({dyT}.Reshape({Int(groups)}, {Int(groupOut)}, {perGroup}), {colsT}.Reshape({Int(groups)}, {Int(rows)}, {perGroup}), {weight}.Gradient.Reshape({Int(groups)}, {Int(groupOut)}, {Int(rows)}), {Named(n, "AccumulateTransposeB")});");
        if (layer.Bias)
        {
            w.Line($"{Device}.ChannelSumAccumulate({s.Dy}.Reshape(B, {Int(layer.B)}, {Int(pixels)}), {StepTokens.Parameter(layer.Path + ".bias")}.Gradient);");
        }
    }

    /// <summary>The storage precision of node <paramref name="id"/>'s output.</summary>
    private Precision StoredAs(int id) => plan.Nodes[id].Output;

    // Dropout: the pass's key (the model's seed and TrainStep counter; inactive in eval mode) and this op's salt draw the
    // mask, in the forward and again in the backward, so no mask is kept.
    private void DropoutForward(CodeWriter w, OpSite s)
    {
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.Dropout({s.X}, {y}, {Fusion.Literal(s.Node.Float)}, run.Dropout({StepTokens.Salt(s.Node.Source)}));");
    }

    private void DropoutBackward(CodeWriter w, OpSite s) =>
        w.Line($"{Device}.DropoutBackward({s.Dy}, {s.Gx}, {Fusion.Literal(s.Node.Float)}, run.Dropout({StepTokens.Salt(s.Node.Source)}));");

    // LayerNorm: FP32 statistics per row, kept for the backward.
    private void LayerNormForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string y = Buffer(w, n);
        string mean = Scratch(w, n, "Mean", Precision.Fp32, [.. n.Shape.Take(n.Shape.Count - 1)]);
        string rstd = Scratch(w, n, "Rstd", Precision.Fp32, [.. n.Shape.Take(n.Shape.Count - 1)]);
        w.Line($"{Device}.LayerNorm({s.X}, {StepTokens.Parameter(s.Layer!.Path + ".weight")}.Master, {StepTokens.Parameter(s.Layer.Path + ".bias")}.Master, {y}, {mean}, {rstd}, {Fusion.Literal(s.Layer.Eps)});");
    }

    private void LayerNormBackward(CodeWriter w, OpSite s)
    {
        string path = s.Layer!.Path;
        w.Line($"{Device}.NormBackward({s.X}, {StepTokens.Parameter(path + ".weight")}.Master, {T(s.Node.Id, "Mean")}, {T(s.Node.Id, "Rstd")}, {s.Dy}, {s.Gx ?? "null"}, {StepTokens.Parameter(path + ".weight")}.Gradient, {StepTokens.Parameter(path + ".bias")}.Gradient);");
    }

    // BatchNorm2d: in training the batch's FP32 mean and variance per channel (kept for the backward; TrainStep also
    // updates the running statistics), in eval the running ones; the run picks by its mode.
    private void BatchNorm2dForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string path = s.Layer!.Path;
        int channels = s.Layer.A;
        string mean = Scratch(w, n, "Mean", Precision.Fp32, [channels]);
        string variance = Scratch(w, n, "Var", Precision.Fp32, [channels]);
        string y = Buffer(w, n);
        string state = string.Join(", ", new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }.Select(p => StepTokens.Parameter(path + "." + p)));
        // Recomputed for the backward ([Recompute]): the same statistics again, and the running ones updated only once.
        string again = recomputing ? ", recomputed: true" : string.Empty;
        w.Line($"run.BatchNorm2d({s.X}, {y}, {state}, {mean}, {variance}, {Fusion.Literal(s.Layer.Eps)}, {Fusion.Literal(s.Layer.Float("momentum"))}{again});");
    }

    private void BatchNorm2dBackward(CodeWriter w, OpSite s)
    {
        string path = s.Layer!.Path;
        w.Line($"{Device}.BatchNormBackward({s.X}, {StepTokens.Parameter(path + ".weight")}.Master, {T(s.Node.Id, "Mean")}, {T(s.Node.Id, "Var")}, {Fusion.Literal(s.Layer.Eps)}, {s.Dy}, {s.Gx ?? "null"}, {StepTokens.Parameter(path + ".weight")}.Gradient, {StepTokens.Parameter(path + ".bias")}.Gradient);");
    }

    // RmsNorm: FP32 1/rms per row, kept for the backward.
    private void RmsNormForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string y = Buffer(w, n);
        string rms = Scratch(w, n, "Rstd", Precision.Fp32, [.. n.Shape.Take(n.Shape.Count - 1)]);
        w.Line($"{Device}.RmsNorm({s.X}, {StepTokens.Parameter(s.Layer!.Path + ".weight")}.Master, {y}, {rms}, {Fusion.Literal(s.Layer.Eps)});");
    }

    private void RmsNormBackward(CodeWriter w, OpSite s)
    {
        string path = s.Layer!.Path;
        w.Line($"{Device}.NormBackward({s.X}, {StepTokens.Parameter(path + ".weight")}.Master, null, {T(s.Node.Id, "Rstd")}, {s.Dy}, {s.Gx ?? "null"}, {StepTokens.Parameter(path + ".weight")}.Gradient, null);");
    }

    // Embedding: a gather of FP32 weight rows; its backward adds each row's gradient into its id's row.
    private void EmbeddingForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string y = Buffer(w, n);
        w.Line($"{Device}.Gather({StepTokens.Parameter(s.Layer!.Path + ".weight")}.Master, {s.X}.Reshape({Rows(n.Shape)}), {y}.Reshape({Rows(n.Shape)}, {s.Layer.B}));");
    }

    private void EmbeddingBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        w.Line($"{Device}.ScatterAddRows({s.Dy}.Reshape({Rows(n.Shape)}, {s.Layer!.B}), {s.X}.Reshape({Rows(n.Shape)}), {StepTokens.Parameter(s.Layer.Path + ".weight")}.Gradient);");
    }

    private void MatMulForward(CodeWriter w, OpSite s) => WriteMatMul(w, s.Node, s.Xs, plan.Nodes[s.Node.Inputs[1]].Shape.ToArray(), Buffer(w, s.Node));

    private void MatMulBackward(CodeWriter w, OpSite s) => WriteMatMulBackward(w, s.Node, s.Xs, plan.Nodes[s.Node.Inputs[1]].Shape.ToArray());

    // Softmax and LogSoftmax over the last dimension; the backward reads the saved output.
    private void SoftmaxForward(CodeWriter w, OpSite s)
    {
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.{s.Node.Kind}({s.X}, {y});");
    }

    private void SoftmaxBackward(CodeWriter w, OpSite s) =>
        w.Line($"{Device}.SoftmaxBackward({T(s.Node.Id)}, {s.Dy}, {s.Gx}, log: {(s.Node.Kind == OpKind.LogSoftmax ? "true" : "false")});");

    // Sum and Mean over the last dimension; the backward broadcasts g (times 1/n for Mean) back over it.
    private void ReduceForward(CodeWriter w, OpSite s)
    {
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.Row{s.Node.Kind}({s.X}, {y});");
    }

    private void ReduceBackward(CodeWriter w, OpSite s)
    {
        // A scalar reduces to itself (as PyTorch's x.mean(-1) on a 0-d tensor): its last dimension counts 1.
        string scale = s.Node.Kind == OpKind.Sum ? "1f" : Reciprocal(s.Xs.Length == 0 ? 1 : s.Xs[s.Xs.Length - 1]);
        w.Line($"{Device}.BroadcastRowsAccumulate({s.Dy}, {s.Gx}, {scale});");
    }

    private void CausalMaskForward(CodeWriter w, OpSite s)
    {
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.CausalMask({s.X}, {y});");
    }

    private void CausalMaskBackward(CodeWriter w, OpSite s) => w.Line($"{Device}.CausalMaskBackward({s.Dy}, {s.Gx});");

    // Layout ops move blocks of dimensions with SwapMiddle ([outer, a, b, inner] -> [outer, b, a, inner]); each backward
    // swaps them back into the input's gradient. Transpose of dims i < j is [outer, a, m, b, inner] -> [outer, b, m, a, inner]:
    // one swap when they are neighbours (m = 1), else two through a scratch ([outer, m, b, a, inner] between).
    private static (string Outer, string A, string M, string B, string Inner, bool Adjacent) TransposeBlocks(int[] xs, EquatableArray<int> ints)
    {
        (int i, int j) = Passes.Shapes.TransposedDims(xs.Length, ints);
        return (Count(xs.Take(i).ToArray()), Dim(xs[i]), Count(xs.Skip(i + 1).Take(j - i - 1).ToArray()), Dim(xs[j]), Count(xs.Skip(j + 1).ToArray()), j == i + 1);
    }

    private void TransposeForward(CodeWriter w, OpSite s)
    {
        (string outer, string a, string m, string b, string inner, bool adjacent) = TransposeBlocks(s.Xs, s.Node.Ints);
        string y = Buffer(w, s.Node);
        if (adjacent)
        {
            w.Line($"{Device}.SwapMiddle({s.X}, {y}, {outer}, {a}, {b}, {inner});");
            return;
        }

        string between = Scratch(w, s.Node, "Moved", s.Node.Output, s.Xs);
        w.Line($"{Device}.SwapMiddle({s.X}, {between}, {outer}, {a}, {m} * {b}, {inner});")
         .Line($"{Device}.SwapMiddle({between}, {y}, {outer}, {m}, {b}, {a} * {inner});");
    }

    private void TransposeBackward(CodeWriter w, OpSite s)
    {
        (string outer, string a, string m, string b, string inner, bool adjacent) = TransposeBlocks(s.Xs, s.Node.Ints);
        if (adjacent)
        {
            w.Line($"{Device}.SwapMiddleAccumulate({s.Dy}, {s.Gx}, {outer}, {b}, {a}, {inner});");
            return;
        }

        string between = Declare(w, $"g{s.Node.Id}Moved", GradientOf(s.Node.Id), s.Xs);
        w.Line($"{Device}.SwapMiddle({s.Dy}, {between}, {outer}, {b}, {m}, {a} * {inner});")
         .Line($"{Device}.SwapMiddleAccumulate({between}, {s.Gx}, {outer}, {m} * {b}, {a}, {inner});");
    }

    // Arange: the positions 0 .. n - 1 written on the device each step (no input, so no backward).
    private void ArangeForward(CodeWriter w, OpSite s) => w.Line($"{Device}.Arange({Buffer(w, s.Node)});");

    // Expand: the input's size-1 dimensions (leading 1s dropped) repeated to the node's shape, one run of them at a time
    // ([outer, 1.., inner] -> [outer, repeats, inner]); each run after the first starts from the previous one's scratch.
    // The backward sums the repeats back, last run first.
    private static List<(string Outer, int Repeats, int Inner, int[] Shape)> ExpandRuns(int[] input, int[] target)
    {
        int[] current = input.Skip(input.Length - target.Length).ToArray();
        var runs = new List<(string, int, int, int[])>();
        for (int i = 0; i < target.Length; i++)
        {
            if (current[i] == target[i])
            {
                continue;
            }

            int j = i;
            while (j < target.Length && current[j] == 1 && target[j] != 1)
            {
                j++;
            }

            string outer = Count(current.Take(i).ToArray());
            int repeats = target.Skip(i).Take(j - i).Aggregate(1, (p, d) => p * d);
            int inner = current.Skip(j).Aggregate(1, (p, d) => p * d);
            for (int k = i; k < j; k++)
            {
                current[k] = target[k];
            }

            runs.Add((outer, repeats, inner, (int[])current.Clone()));
            i = j - 1;
        }

        return runs;
    }

    private void ExpandForward(CodeWriter w, OpSite s)
    {
        var runs = ExpandRuns(s.Xs, [.. s.Node.Shape]);
        string y = Buffer(w, s.Node), from = s.X;
        for (int r = 0; r < runs.Count; r++)
        {
            (string outer, int repeats, int inner, int[] shape) = runs[r];
            string to = r == runs.Count - 1 ? y : Scratch(w, s.Node, $"Run{Int(r)}", s.Node.Output, shape);
            w.Line($"{Device}.RepeatMiddle({from}, {to}, {outer}, {Int(repeats)}, {Int(inner)});");
            from = to;
        }
    }

    private void ExpandBackward(CodeWriter w, OpSite s)
    {
        var runs = ExpandRuns(s.Xs, [.. s.Node.Shape]);
        string from = s.Dy;
        for (int r = runs.Count - 1; r >= 0; r--)
        {
            (string outer, int repeats, int inner, _) = runs[r];
            string to = r == 0 ? s.Gx! : Gradient(w, $"g{s.Node.Id}Run{Int(r - 1)}", Precision.Fp32, runs[r - 1].Shape);
            w.Line($"{Device}.SumMiddleAccumulate({from}, {to}, {outer}, {Int(repeats)}, {Int(inner)});");
            from = to;
        }
    }

    // Cat and Slice cut tensors at one dimension d: [outer, size, inner] is `outer` rows of size * inner columns, and each
    // piece is a run of columns at the same place in every row (d is never Batch, so inner is a constant).
    private static (string Outer, int Inner) CutAt(int[] shape, int d) =>
        (Count(shape.Take(d).ToArray()), shape.Skip(d + 1).Aggregate(1, (p, v) => p * v));

    /// <summary>Cat's output rows (outer, columns) and each input's run of columns in them: its width and first column.</summary>
    private (string Outer, int Columns, List<(int Input, int Width, int Offset)> Pieces) CatPieces(PlannedNode n)
    {
        int d = Passes.Shapes.Axis(n.Ints[0], n.Shape.Count);
        (string outer, int inner) = CutAt([.. n.Shape], d);
        var pieces = new List<(int, int, int)>();
        int offset = 0;
        foreach (int input in n.Inputs)
        {
            int width = plan.Nodes[input].Shape[d] * inner;
            pieces.Add((input, width, offset));
            offset += width;
        }

        return (outer, n.Shape[d] * inner, pieces);
    }

    private void CatForward(CodeWriter w, OpSite s)
    {
        (string outer, int columns, var pieces) = CatPieces(s.Node);
        string y = Buffer(w, s.Node);
        foreach ((int input, int width, int offset) in pieces)
        {
            w.Line($"{Device}.CopyColumns({T(input)}, {y}, {outer}, {Int(width)}, 0, {Int(columns)}, {Int(offset)}, {Int(width)});");
        }
    }

    private void CatBackward(CodeWriter w, OpSite s)
    {
        (string outer, int columns, var pieces) = CatPieces(s.Node);
        foreach ((int input, int width, int offset) in pieces.Where(piece => Needs(piece.Input)))
        {
            w.Line($"{Device}.AccumulateColumns({s.Dy}, {G(input)}, {outer}, {Int(columns)}, {Int(offset)}, {Int(width)}, 0, {Int(width)});");
        }
    }

    private void SliceForward(CodeWriter w, OpSite s)
    {
        (int d, int start, int end) = Passes.Shapes.SliceBounds(s.Xs, s.Node.Ints);
        (string outer, int inner) = CutAt(s.Xs, d);
        string y = Buffer(w, s.Node);
        int width = (end - start) * inner;
        w.Line($"{Device}.CopyColumns({s.X}, {y}, {outer}, {Int(s.Xs[d] * inner)}, {Int(start * inner)}, {Int(width)}, 0, {Int(width)});");
    }

    private void SliceBackward(CodeWriter w, OpSite s)
    {
        (int d, int start, int end) = Passes.Shapes.SliceBounds(s.Xs, s.Node.Ints);
        (string outer, int inner) = CutAt(s.Xs, d);
        int width = (end - start) * inner;
        w.Line($"{Device}.AccumulateColumns({s.Dy}, {s.Gx}, {outer}, {Int(width)}, 0, {Int(s.Xs[d] * inner)}, {Int(start * inner)}, {Int(width)});");
    }

    private void SplitHeadsForward(CodeWriter w, OpSite s)
    {
        int[] xs = s.Xs;
        int heads = s.Node.Ints[0];
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.SwapMiddle({s.X}, {y}, {Rows(xs.Take(xs.Length - 1).ToArray())}, {Dim(xs[xs.Length - 2])}, {heads}, {xs[xs.Length - 1] / heads});");
    }

    private void SplitHeadsBackward(CodeWriter w, OpSite s)
    {
        int[] xs = s.Xs;
        int heads = s.Node.Ints[0];
        w.Line($"{Device}.SwapMiddleAccumulate({s.Dy}, {s.Gx}, {Rows(xs.Take(xs.Length - 1).ToArray())}, {heads}, {Dim(xs[xs.Length - 2])}, {xs[xs.Length - 1] / heads});");
    }

    private void MergeHeadsForward(CodeWriter w, OpSite s)
    {
        int[] xs = s.Xs;
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.SwapMiddle({s.X}, {y}, {Rows(xs.Take(xs.Length - 2).ToArray())}, {Dim(xs[xs.Length - 3])}, {Dim(xs[xs.Length - 2])}, {Dim(xs[xs.Length - 1])});");
    }

    private void MergeHeadsBackward(CodeWriter w, OpSite s)
    {
        int[] xs = s.Xs;
        w.Line($"{Device}.SwapMiddleAccumulate({s.Dy}, {s.Gx}, {Rows(xs.Take(xs.Length - 2).ToArray())}, {Dim(xs[xs.Length - 2])}, {Dim(xs[xs.Length - 3])}, {Dim(xs[xs.Length - 1])});");
    }

    // CrossEntropy: log-softmax kept in FP32, then the mean NLL; the backward is softmax minus one-hot.
    private void CrossEntropyForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        int[] xs = s.Xs;
        string logp = Scratch(w, n, "LogProbs", Precision.Fp32, [.. xs]);
        string y = Buffer(w, n);
        w.Line($"{Device}.LogSoftmax({s.X}, {logp});")
         .Line($"{Device}.NllLoss({logp}.Reshape({Rows(xs)}, {Dim(xs[xs.Length - 1])}), {T(n.Inputs[1])}.Reshape({Rows(xs)}), {y}{CrossEntropyOptions(n)});");
    }

    /// <summary>label_smoothing and ignore_index where they differ from PyTorch's defaults (0 and -100).</summary>
    private static string CrossEntropyOptions(PlannedNode n)
    {
        int ignore = n.Ints.Count > 0 ? n.Ints[0] : -100;
        return n.Float == 0f && ignore == -100 ? string.Empty : $", labelSmoothing: {Fusion.Literal(n.Float)}, ignoreIndex: {Int(ignore)}";
    }

    private void CrossEntropyBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        int[] xs = s.Xs;
        string classes = Dim(xs[xs.Length - 1]);
        w.Line($"{Device}.CrossEntropyBackward({T(n.Id, "LogProbs")}.Reshape({Rows(xs)}, {classes}), {T(n.Inputs[1])}.Reshape({Rows(xs)}), {s.Dy}, {s.Gx}.Reshape({Rows(xs)}, {classes}){CrossEntropyOptions(n)});");
    }

    // Pooling on [Batch, C, H, W]: the window as kernel and stride per axis (AdaptiveAvgPool2d: equal windows); the
    // backward reads the saved input (MaxPool2d finds each window's maximum again) and adds into the input's gradient.
    private static string Window(OpSite s)
    {
        int[] x = s.Xs;
        (int kh, int kw, int sh, int sw) = s.Node.Kind == OpKind.AdaptiveAvgPool2d
            ? (x[2] / s.Node.Ints[0], x[3] / s.Node.Ints[0], x[2] / s.Node.Ints[0], x[3] / s.Node.Ints[0])
            : (s.Node.Ints[0], s.Node.Ints[0], s.Node.Ints[1], s.Node.Ints[1]);
        return $"{Int(kh)}, {Int(kw)}, {Int(sh)}, {Int(sw)}, max: {(s.Node.Kind == OpKind.MaxPool2d ? "true" : "false")}";
    }

    private void PoolForward(CodeWriter w, OpSite s)
    {
        string y = Buffer(w, s.Node);
        w.Line($"{Device}.Pool2d({s.X}, {y}, {Window(s)});");
    }

    private void PoolBackward(CodeWriter w, OpSite s) => w.Line($"{Device}.Pool2dBackward({s.X}, {s.Dy}, {s.Gx}, {Window(s)});");

    // MseLoss and BinaryCrossEntropyWithLogits: the per-element loss as a fused chain, then its mean; the backward (the
    // device's {Kind}Backward) reaches both sides.
    private void MeanLossForward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string squares = Scratch(w, n, "Squares", Precision.Fp32, [.. s.Xs]);
        string y = Buffer(w, n);
        w.Line($"{MapCall(plan.Chains[n.Chain], squares)}")
         .Line($"{Device}.RowMean({squares}.Reshape(1, {Count(s.Xs)}), {y});");
    }

    private void MeanLossBackward(CodeWriter w, OpSite s)
    {
        PlannedNode n = s.Node;
        string? gb = Needs(n.Inputs[1]) ? G(n.Inputs[1]) : null;
        w.Line($"{Device}.{n.Kind}Backward({s.X}, {T(n.Inputs[1])}, {s.Dy}, {s.Gx ?? "null"}, {gb ?? "null"});");
    }
}
