using Amp.Generator.Passes;

namespace Amp.Generator.Model;

/// <summary>
/// The op table: one <see cref="OpRow"/> per <see cref="OpKind"/>, in the enum's order. Adding an elementwise op
/// is its row here, its <c>ChainMath</c>/<c>ChainGradMath</c> functions and its FP64 reference in <c>Amp.Ops</c>;
/// the parser, shapes, precision, fusion, autodiff, the analyzers and the docs table follow. Tests check that every
/// kind has exactly one row and that the docs match.
/// </summary>
internal static partial class OpTable
{
    private static readonly OpRow[] All = Build();
    private static readonly OpRow?[] ByKind = Index(All);

    /// <summary>Every row as written (OpTableTests: one per kind, none twice).</summary>
    public static IReadOnlyList<OpRow> Rows => All;

    /// <summary>The row of <paramref name="kind"/>, or null for a kind without one (a located AMP1004, never a guess).</summary>
    public static OpRow? Find(OpKind kind) => (int)kind < ByKind.Length ? ByKind[(int)kind] : null;

    /// <summary>The row of a kind the parser produced (the parser only produces kinds that have rows).</summary>
    public static OpRow Row(OpKind kind) => Find(kind) ?? throw new InvalidOperationException($"The op table has no row for {kind}.");

    private static OpRow?[] Index(OpRow[] rows)
    {
        var index = new OpRow?[Enum.GetValues(typeof(OpKind)).Length];
        foreach (OpRow row in rows)
        {
            index[(int)row.Kind] ??= row;
        }

        return index;
    }

    /// <summary>Whether <paramref name="kind"/> is a loss computed as the mean of a fused per-element chain (<see cref="OpRow.MeanOf"/>).</summary>
    public static bool IsMeanLoss(OpKind kind) => Find(kind)?.MeanOf is not null;

    /// <summary>The row of an <c>Amp.Ops</c> method, or null: an unknown op (AMP1004 at the call).</summary>
    public static OpRow? ForOpsName(string name) => All.FirstOrDefault(r => r.OpsName == name);

    /// <summary>The row of a layer type by metadata name (<c>Amp.Linear</c>), or null: not a layer.</summary>
    public static OpRow? ForLayerType(string typeName) => All.FirstOrDefault(r => r.Layer?.TypeName == typeName);

    public static OpRow ForLayer(LayerKind kind) => All.First(r => r.Layer?.Kind == kind);

    /// <summary>The buffer a PyTorch path names (<c>bn1.running_mean</c>): its last part is a buffer of some layer; null for a parameter.</summary>
    public static BufferRow? BufferAt(string path)
    {
        string last = path.Substring(path.LastIndexOf('.') + 1);
        return All.Select(r => r.Layer?.Buffers.FirstOrDefault(b => b.Name == last)).FirstOrDefault(b => b is not null);
    }

    private static OpRow Unary(OpKind kind, OpPolicy policy) =>
        new(kind, policy, 1, Shapes.SameShape, kind.ToString(), Math: new ElementwiseMath($"ChainMath.{kind}({{0}})", $"ChainGradMath.{kind}Grad({{0}})"),
            Backward: Chain);

    private const string Chain = "fused chain: g * d/dx, recomputed from the chain's leaves";

    private static OpRow[] Build()
    {
        OpRow[] rows =
        [
            new(OpKind.Input, OpPolicy.Input, 0, Shapes.Input, Backward: "none (inputs, ids and labels get no gradient)"),
            new(OpKind.Cast, OpPolicy.Cast, 1, Shapes.SameShape, Backward: "a view: the input's gradient"),
            new(OpKind.Linear, OpPolicy.LowPrecision, 1, Shapes.Linear,
                Layer: new LayerRow("Amp.Linear", LayerKind.Linear, "inFeatures", "outFeatures", "bias", FixedBias: false),
                Backward: "dX += dY W (working copy), dW += dY^T X, db += sum of rows of dY"),
            new(OpKind.LayerNorm, OpPolicy.Fp32, 1, Shapes.Norm,
                Layer: new LayerRow("Amp.LayerNorm", LayerKind.LayerNorm, "dim", null, null, FixedBias: true),
                Backward: "FP32 from the saved mean and 1/std per row"),
            new(OpKind.RmsNorm, OpPolicy.Fp32, 1, Shapes.Norm,
                Layer: new LayerRow("Amp.RmsNorm", LayerKind.RmsNorm, "dim", null, null, FixedBias: false),
                Backward: "FP32 from the saved 1/rms per row"),
            new(OpKind.Embedding, OpPolicy.Fp32Weights, 1, Shapes.Embedding,
                Layer: new LayerRow("Amp.Embedding", LayerKind.Embedding, "vocab", "dim", null, FixedBias: false),
                Backward: "rows of dY added into the weight's rows of their ids"),
            new(OpKind.MatMul, OpPolicy.LowPrecision, 2, Shapes.MatMul, "MatMul", Backward: "dA += dC B^T, dB += A^T dC"),
            new(OpKind.Add, OpPolicy.Promote, 2, Shapes.Broadcast, "Add", Math: new ElementwiseMath("({0} + {1})", "1", "1"), Backward: Chain),
            new(OpKind.Sub, OpPolicy.Promote, 2, Shapes.Broadcast, "Sub", Math: new ElementwiseMath("({0} - {1})", "1", "-1"), Backward: Chain),
            new(OpKind.Mul, OpPolicy.Promote, 2, Shapes.Broadcast, "Mul", Math: new ElementwiseMath("({0} * {1})", "{1}", "{0}"), Backward: Chain),
            new(OpKind.Scale, OpPolicy.Elementwise, 1, Shapes.SameShape, "Scale", Math: new ElementwiseMath("({0} * {c})", "{c}"), Backward: Chain),
            Unary(OpKind.Relu, OpPolicy.Elementwise),
            Unary(OpKind.Gelu, OpPolicy.Elementwise),
            Unary(OpKind.Silu, OpPolicy.Elementwise),
            Unary(OpKind.Tanh, OpPolicy.Elementwise),
            Unary(OpKind.Sigmoid, OpPolicy.Elementwise),
            Unary(OpKind.Exp, OpPolicy.Fp32),
            Unary(OpKind.Log, OpPolicy.Fp32),
            Unary(OpKind.Softplus, OpPolicy.Fp32),
            new(OpKind.Softmax, OpPolicy.Fp32, 1, Shapes.SameShape, "Softmax", Backward: "FP32 from the saved output: y * (g - sum(g y))"),
            new(OpKind.LogSoftmax, OpPolicy.Fp32, 1, Shapes.SameShape, "LogSoftmax", Backward: "FP32 from the saved output: g - exp(y) sum(g)"),
            new(OpKind.Sum, OpPolicy.Fp32, 1, Shapes.Reduce, "Sum", Backward: "g broadcast over the reduced dimension"),
            new(OpKind.Mean, OpPolicy.Fp32, 1, Shapes.Reduce, "Mean", Backward: "g / n broadcast over the reduced dimension (n = B for the batch)"),
            new(OpKind.Reshape, OpPolicy.Layout, 1, Shapes.Reshape, "Reshape", Backward: "a view: the input's gradient"),
            new(OpKind.Transpose, OpPolicy.Layout, 1, Shapes.Transpose, "Transpose", Backward: "the gradient transposed back"),
            new(OpKind.SplitHeads, OpPolicy.Layout, 1, Shapes.SplitHeadsRule, "SplitHeads", Backward: "the gradient's heads merged back"),
            new(OpKind.MergeHeads, OpPolicy.Layout, 1, Shapes.MergeHeads, "MergeHeads", Backward: "the gradient split back into heads"),
            new(OpKind.CausalMask, OpPolicy.Layout, 1, Shapes.CausalMask, "CausalMask", Backward: "g where kept, 0 where masked"),
            new(OpKind.Attention, OpPolicy.LowPrecision, 3, Shapes.Attention, "Attention",
                Backward: "the two products' gradients in the compute precision, the softmax's in FP32")
            {
                DocName = "`Attention`'s two products",
                ReasonNote = "; softmax in FP32",
            },
            new(OpKind.CrossEntropy, OpPolicy.Loss, 2, Shapes.CrossEntropy, "CrossEntropy", Backward: "dlogits = g / rows * (exp(logp) - onehot)"),
            new(OpKind.MseLoss, OpPolicy.Loss, 2, Shapes.MseLoss, "MseLoss", Backward: "2 g (x - y) / n to each side that needs it")
            {
                MeanOf = "(x0 - x1) * (x0 - x1)",
            },
            new(OpKind.MaxPool2d, OpPolicy.Layout, 1, Shapes.Pool, "MaxPool2d", Backward: "g to each window's first maximum"),
            new(OpKind.AvgPool2d, OpPolicy.Layout, 1, Shapes.Pool, "AvgPool2d", Backward: "g / (k k) to every element of its window"),
            new(OpKind.AdaptiveAvgPool2d, OpPolicy.Layout, 1, Shapes.AdaptivePool, "AdaptiveAvgPool2d", Backward: "g / window to every element of its window"),
            new(OpKind.Flatten, OpPolicy.Layout, 1, Shapes.Flatten, "Flatten", Backward: "a view: the input's gradient"),
            new(OpKind.Conv2d, OpPolicy.LowPrecision, 1, Shapes.Conv2d,
                Layer: new LayerRow("Amp.Conv2d", LayerKind.Conv2d, "inChannels", "outChannels", "bias", FixedBias: false),
                Backward: "dcols = W^T dY into dX (col2im), dW += dY cols^T summed over the batch, db += sum of dY per channel"),
            new(OpKind.Dropout, OpPolicy.Layout, 1, Shapes.SameShape, "Dropout",
                Layer: new LayerRow("Amp.Dropout", LayerKind.Dropout, "p", null, null, FixedBias: false) { Weights = false },
                Backward: "g * mask / (1 - p), the mask drawn again from the pass's key"),
            new(OpKind.BatchNorm2d, OpPolicy.Normalization, 1, Shapes.BatchNorm2d,
                Layer: new LayerRow("Amp.BatchNorm2d", LayerKind.BatchNorm2d, "channels", null, null, FixedBias: true)
                {
                    Buffers = [new BufferRow("running_mean", false), new BufferRow("running_var", false), new BufferRow("num_batches_tracked", true)],
                },
                Backward: "FP32 from the batch's saved mean and variance per channel: dx = w rstd (dy - mean(dy) - x_hat mean(dy x_hat))"),
            new(OpKind.Div, OpPolicy.Promote, 2, Shapes.Broadcast, "Div",
                Math: new ElementwiseMath("({0} / {1})", "ChainMath.Reciprocal({1})", "(-{0} * ChainMath.Reciprocal({1} * {1}))"), Backward: Chain),
            Unary(OpKind.Sqrt, OpPolicy.Elementwise),
            new(OpKind.AddScalar, OpPolicy.Elementwise, 1, Shapes.SameShape, "AddScalar", Math: new ElementwiseMath("ChainMath.AddScalar({0}, {c})", "1"), Backward: Chain),
            new(OpKind.Clamp, OpPolicy.Elementwise, 1, Shapes.SameShape, "Clamp",
                Math: new ElementwiseMath("ChainMath.Clamp({0}, {c}, {c2})", "ChainGradMath.ClampGrad({0}, {c}, {c2})"), Backward: Chain),
            new(OpKind.Cat, OpPolicy.Promote, 2, Shapes.Cat, "Cat", Backward: "each input's columns of the gradient added into its gradient"),
            new(OpKind.Slice, OpPolicy.Layout, 1, Shapes.Slice, "Slice", Backward: "the gradient added into the slice's place in the input's gradient"),
            // softplus(x) - x y = max(x, 0) - x y + log(1 + exp(-|x|)): PyTorch's stable form, never exp of a large x.
            new(OpKind.BinaryCrossEntropyWithLogits, OpPolicy.Loss, 2, Shapes.MseLoss, "BinaryCrossEntropyWithLogits",
                Backward: "g (sigmoid(x) - y) / n to the logits, -g x / n to the targets when they need it")
            {
                MeanOf = "(ChainMath.Softplus(x0) - (x0 * x1))",
            },
            new(OpKind.Where, OpPolicy.Promote, 3, Shapes.Broadcast, "Where",
                Math: new ElementwiseMath("ChainMath.Where({0}, {1}, {2})", "0", "ChainGradMath.Selected({0})", "ChainGradMath.NotSelected({0})"), Backward: Chain)
            {
                Condition = true,
            },
            new(OpKind.MaskedFill, OpPolicy.Elementwise, 2, Shapes.MaskedFill, "MaskedFill",
                Math: new ElementwiseMath("ChainMath.MaskedFill({0}, {1}, {c})", "ChainGradMath.NotSelected({1})", "0"), Backward: Chain),
            // Inserted by the precision pass where an elementwise op reads an input with size-1 dimensions (NumPy broadcasting).
            new(OpKind.Expand, OpPolicy.Layout, 1, Shapes.SameShape, Backward: "the gradient summed over the repeated dimensions"),
            new(OpKind.Arange, OpPolicy.Input, 0, Shapes.Arange, "Arange", Backward: "none (positions get no gradient)"),
        ];
        return rows;
    }
}
