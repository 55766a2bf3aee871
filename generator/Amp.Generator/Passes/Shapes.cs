using System.Globalization;
using Amp.Generator.Diagnostics;
using Amp.Generator.Model;

namespace Amp.Generator.Passes;

/// <summary>An op's shape rule: null when the shape is fine, else "expected|actual" (the two halves of AMP1005).</summary>
internal delegate string? ShapeRule(ShapeQuery query, out int[] shape);

/// <summary>What a shape rule may look at: the node, its inputs' shapes, its layer, the model's inputs (CrossEntropy sets its labels' shape).</summary>
internal sealed class ShapeQuery(NodeSpec node, ModelSpec spec, int[][] shapes, Dictionary<string, InputSpec> inputs)
{
    public NodeSpec Node => node;

    public ModelSpec Spec => spec;

    public Dictionary<string, InputSpec> Inputs => inputs;

    public LayerSpec? Layer { get; } = node.Layer is null ? null : spec.Layers.First(l => l.Path == node.Layer);

    public int[] X(int i) => shapes[node.Inputs[i]];
}

/// <summary>Shape inference with the symbolic batch: every op's output shape, and AMP1005 at the call that mismatches.</summary>
internal static class Shapes
{
    public const int Batch = -1;

    public static StepResult<ShapedModel> Infer(StepResult<ModelSpec> parsed, CancellationToken cancellationToken)
    {
        if (parsed.Value is not { } spec)
        {
            return new StepResult<ShapedModel>(null, parsed.Diagnostics);
        }

        var diagnostics = new List<DiagnosticInfo>();
        var shapes = new int[spec.Nodes.Count][];
        var inputs = spec.Inputs.ToDictionary(i => i.Name);
        foreach (NodeSpec node in spec.Nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? error = Infer(node, spec, shapes, inputs, out int[] shape);
            if (error is not null)
            {
                string[] parts = error.Split('|');
                diagnostics.Add(DiagnosticInfo.AtNode(DiagnosticDescriptors.ShapeMismatch, spec.Key, node.Id, Describe(node, spec), parts[0], parts[1]));
                break;
            }

            shapes[node.Id] = shape;
        }

        if (diagnostics.Count == 0 && spec.LossOutput >= 0 && shapes[spec.LossOutput].Length != 0)
        {
            NodeSpec loss = spec.Nodes[spec.LossOutput];
            diagnostics.Add(DiagnosticInfo.AtNode(DiagnosticDescriptors.ShapeMismatch, spec.Key, loss.Id, $"the value of [Loss] {spec.LossMethod}", "a scalar loss", Format(shapes[loss.Id])));
        }

        if (diagnostics.Count > 0)
        {
            return new StepResult<ShapedModel>(null, diagnostics.ToEquatableArray());
        }

        ModelSpec updated = spec with { Inputs = spec.Inputs.Select(i => inputs[i.Name]).ToEquatableArray() };
        return new StepResult<ShapedModel>(
            new ShapedModel(updated, shapes.Select(s => new EquatableArray<int>(s)).ToEquatableArray()), parsed.Diagnostics);
    }

    public static string Format(IReadOnlyList<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => d == Batch ? "Batch" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Describe(NodeSpec node, ModelSpec spec)
    {
        if (node.Layer is { } path)
        {
            LayerSpec layer = spec.Layers.First(l => l.Path == path);
            return layer.Kind switch
            {
                LayerKind.Linear => $"{path} (Linear {layer.A} -> {layer.B})",
                LayerKind.Embedding => $"{path} (Embedding {layer.A} x {layer.B})",
                LayerKind.Conv2d => $"{path} (Conv2d {layer.A} -> {layer.B}, kernel {layer.Int("kernelSize")})",
                LayerKind.Dropout => $"{path} (Dropout)",
                _ => $"{path} ({layer.Kind} {layer.A})",
            };
        }

        return node.Kind.ToString();
    }

    /// <summary>Null when the shape is fine; else "expected|actual". The rule is the op's row's.</summary>
    private static string? Infer(NodeSpec node, ModelSpec spec, int[][] shapes, Dictionary<string, InputSpec> inputs, out int[] shape)
    {
        shape = [];
        if (OpTable.Find(node.Kind) is not { } row)
        {
            return "an op of the table|" + node.Kind;
        }

        var query = new ShapeQuery(node, spec, shapes, inputs);
        return row.Shape(query, out shape);
    }

    // The shape rules of the op table, one per kind of op. Each returns null when the shape is fine, else "expected|actual".

    public static string? Input(ShapeQuery q, out int[] shape)
    {
        InputSpec input = q.Inputs[q.Node.Name];
        shape = input.Kind == InputKind.Labels ? [Batch] : [Batch, .. input.SampleShape];
        return null;
    }

    /// <summary>Arange(count): the ids 0 .. count - 1, [count] (no batch: one set of positions for every sample).</summary>
    public static string? Arange(ShapeQuery q, out int[] shape)
    {
        int count = q.Node.Ints[0];
        shape = [count];
        return count > 0 ? null : "a positive count|" + count.ToString(CultureInfo.InvariantCulture);
    }

    public static string? SameShape(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0);
        return null;
    }

    public static string? Linear(ShapeQuery q, out int[] shape) => Last(q.X(0), q.Layer!.AsLinear.In, out shape, q.Layer.AsLinear.Out);

    public static string? Norm(ShapeQuery q, out int[] shape) => Last(q.X(0), q.Layer!.A, out shape, q.Layer.A);

    public static string? Embedding(ShapeQuery q, out int[] shape)
    {
        shape = [];
        NodeSpec source = q.Spec.Nodes[q.Node.Inputs[0]];
        bool ids = source.Kind == OpKind.Arange || (source.Kind == OpKind.Input && q.Inputs[source.Name].Kind == InputKind.Tokens);
        if (!ids)
        {
            return "a Tokens input|" + Format(q.X(0)) + " floats";
        }

        shape = [.. q.X(0), q.Layer!.B];
        return null;
    }

    public static string? MatMul(ShapeQuery q, out int[] shape) => MatMul(q.X(0), q.X(1), out shape);

    /// <summary>NumPy broadcasting over every input: shapes aligned at the last dimension, each dimension equal or 1.</summary>
    public static string? Broadcast(ShapeQuery q, out int[] shape) =>
        Broadcast(Enumerable.Range(0, q.Node.Inputs.Count).Select(q.X).ToArray(), out shape);

    /// <summary>MaskedFill: the mask broadcasts to x's shape, which the result keeps.</summary>
    public static string? MaskedFill(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0), mask = q.X(1);
        string? error = Broadcast([x, mask], out shape);
        if (error is null && !shape.SequenceEqual(x))
        {
            error = $"a mask that broadcasts to {Format(x)}|{Format(mask)}";
        }

        shape = x;
        return error;
    }

    public static string? CausalMask(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0);
        return shape.Length >= 2 && shape[shape.Length - 1] == shape[shape.Length - 2] ? null : "square scores [.., T, T]|" + Format(shape);
    }

    /// <summary>Over the last dimension; a scalar reduces to itself (as PyTorch's x.sum(-1) on a 0-d tensor).</summary>
    public static string? Reduce(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0).Take(q.X(0).Length - 1).ToArray();
        return null;
    }

    public static string? Reshape(ShapeQuery q, out int[] shape) => Reshape(q.X(0), q.Node.Ints, out shape);

    /// <summary>MaxPool2d and AvgPool2d on [Batch, C, H, W]: padding 0, floor, OH = (H - kernel) / stride + 1.</summary>
    public static string? Pool(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        int kernel = q.Node.Ints[0], stride = q.Node.Ints[1];
        shape = x;
        if (x.Length != 4 || x[0] != Batch || kernel <= 0 || stride <= 0 || x[2] < kernel || x[3] < kernel)
        {
            return $"[Batch, C, H, W] with H and W at least kernel {kernel} (stride {stride}, padding 0)|" + Format(x);
        }

        shape = [Batch, x[1], ((x[2] - kernel) / stride) + 1, ((x[3] - kernel) / stride) + 1];
        return null;
    }

    /// <summary>AdaptiveAvgPool2d on [Batch, C, H, W]: equal windows, so the output size must divide H and W (1: global pooling).</summary>
    public static string? AdaptivePool(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        int size = q.Node.Ints[0];
        shape = x;
        if (x.Length != 4 || x[0] != Batch || size <= 0 || x[2] % size != 0 || x[3] % size != 0)
        {
            return $"[Batch, C, H, W] with H and W multiples of the output size {size}|" + Format(x);
        }

        shape = [Batch, x[1], size, size];
        return null;
    }

    /// <summary>Conv2d on [Batch, inChannels, H, W]: OH = (H + 2 padding - dilation (k - 1) - 1) / stride + 1, at least 1.</summary>
    public static string? Conv2d(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        LayerSpec l = q.Layer!;
        int k = l.Int("kernelSize"), stride = l.Int("stride"), padding = l.Int("padding"), dilation = l.Int("dilation");
        int Out(int size) => ((size + (2 * padding) - (dilation * (k - 1)) - 1) / stride) + 1;
        shape = x;
        string expected = $"[Batch, {l.A}, H, W] with H and W at least {(dilation * (k - 1)) + 1 - (2 * padding)} (kernel {k}, stride {stride}, padding {padding}, dilation {dilation})";
        if (x.Length != 4 || x[0] != Batch || x[1] != l.A || Out(x[2]) < 1 || Out(x[3]) < 1)
        {
            return expected + "|" + Format(x);
        }

        shape = [Batch, l.B, Out(x[2]), Out(x[3])];
        return null;
    }

    /// <summary>BatchNorm2d on [Batch, channels, H, W]: the same shape.</summary>
    public static string? BatchNorm2d(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        shape = x;
        return x.Length == 4 && x[0] == Batch && x[1] == q.Layer!.A ? null : $"[Batch, {q.Layer!.A}, H, W]|" + Format(x);
    }

    /// <summary>[Batch, everything else] (torch.flatten(x, 1)).</summary>
    public static string? Flatten(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        shape = x;
        if (x.Length < 2 || x[0] != Batch)
        {
            return "[Batch, ..]|" + Format(x);
        }

        shape = [Batch, x.Skip(1).Aggregate(1, (a, b) => a * b)];
        return null;
    }

    /// <summary>Cat along the node's dim: every input of one rank, equal outside that dimension, which is not Batch.</summary>
    public static string? Cat(ShapeQuery q, out int[] shape)
    {
        int[] first = q.X(0);
        shape = first;
        int d = Axis(q.Node.Ints[0], first.Length);
        if (d < 0 || first[d] == Batch)
        {
            return $"a dimension of {Format(first)} other than Batch|dim {q.Node.Ints[0]}";
        }

        int total = 0;
        for (int k = 0; k < q.Node.Inputs.Count; k++)
        {
            int[] x = q.X(k);
            bool agree = x.Length == first.Length && Enumerable.Range(0, x.Length).All(i => i == d || x[i] == first[i]);
            if (!agree)
            {
                return $"tensors that match {Format(first)} outside dim {q.Node.Ints[0]}|{Format(x)}";
            }

            total += x[d];
        }

        shape = (int[])first.Clone();
        shape[d] = total;
        return null;
    }

    /// <summary>Slice [start, end) of the node's dim (negative from the end), not empty, inside the dimension, which is not Batch.</summary>
    public static string? Slice(ShapeQuery q, out int[] shape)
    {
        int[] x = q.X(0);
        shape = x;
        (int d, int start, int end) = SliceBounds(x, q.Node.Ints);
        if (d < 0 || x[d] == Batch || start < 0 || end > x[d] || start >= end)
        {
            return $"a non-empty range inside a dimension of {Format(x)} other than Batch|[{q.Node.Ints[1]}:{q.Node.Ints[2]}] of dim {q.Node.Ints[0]}";
        }

        shape = (int[])x.Clone();
        shape[d] = end - start;
        return null;
    }

    /// <summary>A Slice's dimension, first and end index (exclusive, clamped to the size) with negatives resolved; d is -1 when out of range.</summary>
    public static (int D, int Start, int End) SliceBounds(int[] x, EquatableArray<int> ints)
    {
        int d = Axis(ints[0], x.Length);
        int size = d < 0 ? 0 : x[d];
        // Python's slicing: negative indices count from the end, an end past the dimension stops at it (x[:, 2:] is end = int.MaxValue).
        int end = ints[2] < 0 ? ints[2] + size : Math.Min(ints[2], size);
        return (d, ints[1] < 0 ? ints[1] + size : ints[1], end);
    }

    /// <summary>A dimension index with negatives counted from the end, or -1 when the rank has none such.</summary>
    public static int Axis(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        return d >= 0 && d < rank ? d : -1;
    }

    /// <summary>Swaps two dimensions (the node's ints; none: the last two), negative counting from the end; Batch cannot move.</summary>
    public static string? Transpose(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0);
        int[] x = shape;
        (int i, int j) = TransposedDims(x.Length, q.Node.Ints);
        bool batchMoves = x.Length > 0 && x[0] == Batch && (i == 0 || j == 0);
        if (x.Length < 2 || i < 0 || j >= x.Length || i == j || batchMoves)
        {
            return $"two different dimensions of {Format(x)} other than Batch (Batch cannot move)|{(q.Node.Ints.Count == 2 ? $"dims {q.Node.Ints[0]} and {q.Node.Ints[1]}" : "the last two of " + Format(x))}";
        }

        shape = (int[])x.Clone();
        (shape[i], shape[j]) = (x[j], x[i]);
        return null;
    }

    /// <summary>Transpose's two dimensions in order (i &lt; j when valid), from its ints (negative from the end) or the last two.</summary>
    public static (int I, int J) TransposedDims(int rank, EquatableArray<int> ints)
    {
        if (ints.Count != 2)
        {
            return (rank - 2, rank - 1);
        }

        int a = Axis(ints[0], rank), b = Axis(ints[1], rank);
        return a < 0 || b < 0 ? (-1, -1) : (Math.Min(a, b), Math.Max(a, b));
    }

    public static string? SplitHeadsRule(ShapeQuery q, out int[] shape) => SplitHeads(q.X(0), q.Node.Ints[0], out shape);

    public static string? MergeHeads(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0);
        if (shape.Length < 4)
        {
            return "[Batch, heads, T, d]|" + Format(shape);
        }

        shape = [.. shape.Take(shape.Length - 3), shape[shape.Length - 2], shape[shape.Length - 3] * shape[shape.Length - 1]];
        return null;
    }

    public static string? Attention(ShapeQuery q, out int[] shape)
    {
        shape = q.X(0);
        if (!q.X(1).SequenceEqual(shape) || !q.X(2).SequenceEqual(shape))
        {
            return $"q, k and v of one shape {Format(shape)}|k {Format(q.X(1))}, v {Format(q.X(2))}";
        }

        if (q.Node.Inputs.Count > 3 && !q.X(3).SequenceEqual(shape.Take(shape.Length - 1)))
        {
            return $"a key-padding mask of q's shape without its last dimension, {Format([.. shape.Take(shape.Length - 1)])}|{Format(q.X(3))}";
        }

        return SplitHeads(shape, q.Node.Ints[0], out _) ?? (shape.Length >= 3 ? null : "[Batch, T, d]|" + Format(shape));
    }

    /// <summary>Logits [Batch, .., classes]; the labels' sample shape follows from them.</summary>
    public static string? CrossEntropy(ShapeQuery q, out int[] shape)
    {
        shape = [];
        int[] logits = q.X(0);
        if (logits.Length < 2)
        {
            return "logits [Batch, .., classes]|" + Format(logits);
        }

        InputSpec labels = q.Inputs[q.Spec.Nodes[q.Node.Inputs[1]].Name];
        if (labels.Limit != logits[logits.Length - 1])
        {
            return $"logits with {labels.Limit} classes (the labels' [Classes])|" + Format(logits);
        }

        q.Inputs[labels.Name] = labels with { SampleShape = new EquatableArray<int>(logits.Skip(1).Take(logits.Length - 2).ToArray()) };
        return null;
    }

    public static string? MseLoss(ShapeQuery q, out int[] shape)
    {
        shape = [];
        return q.X(0).SequenceEqual(q.X(1)) ? null : $"a target of the prediction's shape {Format(q.X(0))}|{Format(q.X(1))}";
    }

    private static string? Last(int[] x, int expected, out int[] shape, int replacement)
    {
        shape = [.. x.Take(x.Length - 1), replacement];
        return x.Length > 0 && x[x.Length - 1] == expected ? null : $"[.., {expected}]|{Format(x)}";
    }

    private static string? MatMul(int[] a, int[] b, out int[] shape)
    {
        shape = [];
        if (a.Length < 2 || b.Length < 2)
        {
            return "two matrices|" + Format(a) + " x " + Format(b);
        }

        int k = a[a.Length - 1];
        bool shared = b.Length == 2 && b[0] != Batch;
        if (b[b.Length - 2] != k || (!shared && !a.Take(a.Length - 2).SequenceEqual(b.Take(b.Length - 2))))
        {
            return $"{Format(a)} x [{(shared ? string.Empty : "same leading dimensions, ")}{k}, n]|{Format(b)}";
        }

        shape = [.. a.Take(a.Length - 1), b[b.Length - 1]];
        return null;
    }

    /// <summary>
    /// NumPy's rules: aligned at the last dimension, each dimension of the result is the one that is not 1 (Batch
    /// counts as a size), missing leading dimensions count as 1; any other pair does not broadcast.
    /// </summary>
    private static string? Broadcast(int[][] shapes, out int[] shape)
    {
        int rank = shapes.Max(s => s.Length);
        shape = Enumerable.Repeat(1, rank).ToArray();
        foreach (int[] s in shapes)
        {
            for (int j = 0; j < s.Length; j++)
            {
                int at = rank - s.Length + j;
                if (s[j] != 1 && shape[at] != 1 && shape[at] != s[j])
                {
                    shape = shapes[0];
                    return $"shapes that broadcast (each dimension equal, or 1)|{string.Join(" and ", shapes.Select(Format))}";
                }

                shape[at] = s[j] != 1 ? s[j] : shape[at];
            }
        }

        return null;
    }

    /// <summary>
    /// What an elementwise op's input of <paramref name="input"/> shape must be expanded to so that it is a suffix of the
    /// op's <paramref name="output"/> (a suffix repeats whole, which the fused chain does by itself), or null when it
    /// already is one. Leading 1s are dropped first ([1, T, d] is a suffix of [Batch, T, d]).
    /// </summary>
    public static int[]? ExpandTarget(int[] input, int[] output)
    {
        int lead = 0;
        while (lead < input.Length && input[lead] == 1)
        {
            lead++;
        }

        int[] core = input.Skip(lead).ToArray();
        int[] target = output.Skip(output.Length - core.Length).ToArray();
        return core.SequenceEqual(target) ? null : target;
    }

    private static string? Reshape(int[] x, EquatableArray<int> dims, out int[] shape)
    {
        shape = dims.ToArray();
        long Count(IEnumerable<int> s) => s.Where(d => d != Batch).Aggregate(1L, (p, d) => p * d);
        bool xBatch = x.Contains(Batch), yBatch = shape.Count(d => d == Batch) == 1 && shape[0] == Batch;
        return xBatch == yBatch && Count(x) == Count(shape) && shape.All(d => d == Batch || d > 0)
            ? null
            : $"a shape with {Count(x)} elements per sample{(xBatch ? " and Batch first" : string.Empty)}|{Format(shape)}";
    }

    private static string? SplitHeads(int[] x, int heads, out int[] shape)
    {
        shape = x;
        if (x.Length < 3 || heads <= 0 || x[x.Length - 1] % heads != 0)
        {
            return $"[Batch, T, d] with d divisible by {heads} heads|{Format(x)}";
        }

        int t = x[x.Length - 2], d = x[x.Length - 1] / heads;
        shape = [.. x.Take(x.Length - 2), heads, t, d];
        return null;
    }
}
