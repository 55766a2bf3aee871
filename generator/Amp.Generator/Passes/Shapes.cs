using System.Globalization;
using Amp.Generator.Diagnostics;
using Amp.Generator.Model;

namespace Amp.Generator.Passes;

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
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, node.Location, Describe(node, spec), parts[0], parts[1]));
                break;
            }

            shapes[node.Id] = shape;
        }

        if (diagnostics.Count == 0 && spec.LossOutput >= 0 && shapes[spec.LossOutput].Length != 0)
        {
            NodeSpec loss = spec.Nodes[spec.LossOutput];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, loss.Location, $"the value of [Loss] {spec.LossMethod}", "a scalar loss", Format(shapes[loss.Id])));
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
                _ => $"{path} ({layer.Kind} {layer.A})",
            };
        }

        return node.Kind.ToString();
    }

    /// <summary>Null when the shape is fine; else "expected|actual".</summary>
    private static string? Infer(NodeSpec node, ModelSpec spec, int[][] shapes, Dictionary<string, InputSpec> inputs, out int[] shape)
    {
        int[] X(int i) => shapes[node.Inputs[i]];
        LayerSpec? layer = node.Layer is null ? null : spec.Layers.First(l => l.Path == node.Layer);
        shape = [];
        switch (node.Kind)
        {
            case OpKind.Input:
                InputSpec input = inputs[node.Name];
                shape = input.Kind == InputKind.Labels ? [Batch] : [Batch, .. input.SampleShape];
                return null;
            case OpKind.Linear:
                return Last(X(0), layer!.A, out shape, layer.B);
            case OpKind.LayerNorm or OpKind.RmsNorm:
                return Last(X(0), layer!.A, out shape, layer.A);
            case OpKind.Embedding:
                if (spec.Nodes[node.Inputs[0]] is not { Kind: OpKind.Input } source || inputs[source.Name].Kind != InputKind.Tokens)
                {
                    return "a Tokens input|" + Format(X(0)) + " floats";
                }

                shape = [.. X(0), layer!.B];
                return null;
            case OpKind.MatMul:
                return MatMul(X(0), X(1), out shape);
            case OpKind.Add or OpKind.Sub or OpKind.Mul:
                return Broadcast(X(0), X(1), out shape);
            case OpKind.Scale or OpKind.Relu or OpKind.Gelu or OpKind.Silu or OpKind.Tanh or OpKind.Sigmoid or OpKind.Exp or OpKind.Log
                or OpKind.Softmax or OpKind.LogSoftmax:
                shape = X(0);
                return null;
            case OpKind.CausalMask:
                shape = X(0);
                return shape.Length >= 2 && shape[shape.Length - 1] == shape[shape.Length - 2] ? null : "square scores [.., T, T]|" + Format(shape);
            case OpKind.Sum or OpKind.Mean:
                shape = X(0).Take(X(0).Length - 1).ToArray();
                return null;
            case OpKind.Reshape:
                return Reshape(X(0), node.Ints, out shape);
            case OpKind.Transpose:
                shape = X(0);
                if (shape.Length < 2 || (shape.Length == 2 && shape[0] == Batch))
                {
                    return "[Batch, .., m, n] (Batch cannot move)|" + Format(shape);
                }

                shape = [.. shape.Take(shape.Length - 2), shape[shape.Length - 1], shape[shape.Length - 2]];
                return null;
            case OpKind.SplitHeads:
                return SplitHeads(X(0), node.Ints[0], out shape);
            case OpKind.MergeHeads:
                shape = X(0);
                if (shape.Length < 4)
                {
                    return "[Batch, heads, T, d]|" + Format(shape);
                }

                shape = [.. shape.Take(shape.Length - 3), shape[shape.Length - 2], shape[shape.Length - 3] * shape[shape.Length - 1]];
                return null;
            case OpKind.Attention:
                shape = X(0);
                if (!X(1).SequenceEqual(shape) || !X(2).SequenceEqual(shape))
                {
                    return $"q, k and v of one shape {Format(shape)}|k {Format(X(1))}, v {Format(X(2))}";
                }

                return SplitHeads(shape, node.Ints[0], out _) ?? (shape.Length >= 3 ? null : "[Batch, T, d]|" + Format(shape));
            case OpKind.CrossEntropy:
                int[] logits = X(0);
                if (logits.Length < 2)
                {
                    return "logits [Batch, .., classes]|" + Format(logits);
                }

                InputSpec labels = inputs[spec.Nodes[node.Inputs[1]].Name];
                if (labels.Limit != logits[logits.Length - 1])
                {
                    return $"logits with {labels.Limit} classes (the labels' [Classes])|" + Format(logits);
                }

                inputs[labels.Name] = labels with { SampleShape = new EquatableArray<int>(logits.Skip(1).Take(logits.Length - 2).ToArray()) };
                return null;
            case OpKind.MseLoss:
                return X(0).SequenceEqual(X(1)) ? null : $"a target of the prediction's shape {Format(X(0))}|{Format(X(1))}";
            default:
                return "a known op|" + node.Kind;
        }
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

    private static string? Broadcast(int[] a, int[] b, out int[] shape)
    {
        int[] big = a.Length >= b.Length ? a : b, small = a.Length >= b.Length ? b : a;
        shape = big;
        return big.Skip(big.Length - small.Length).SequenceEqual(small) ? null : $"{Format(a)} or a suffix of it|{Format(b)}";
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
