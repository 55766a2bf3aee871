namespace Amp;

// Products, layout ops and attention, eager FP64.
public static partial class Ops
{
    /// <summary>[.., m, k] x [k, n] (a shared right operand) or [.., m, k] x [.., k, n] (same leading dimensions).</summary>
    public static Tensor MatMul(Tensor a, Tensor b, Precision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dims.Length < 2 || b.Dims.Length < 2)
        {
            throw new ArgumentException($"MatMul needs matrices; got {EagerShape.Format(a.Shape)} and {EagerShape.Format(b.Shape)}.", nameof(b));
        }

        int m = a.Dims[^2], k = a.Dims[^1], n = b.Dims[^1];
        bool shared = b.Dims.Length == 2;
        if (b.Dims[^2] != k || (!shared && !a.Dims.AsSpan(0, a.Dims.Length - 2).SequenceEqual(b.Dims.AsSpan(0, b.Dims.Length - 2))))
        {
            throw new ArgumentException($"MatMul shapes {EagerShape.Format(a.Shape)} and {EagerShape.Format(b.Shape)} do not match.", nameof(b));
        }

        int batch = a.Length / (m * k);
        var y = new double[batch * m * n];
        for (int p = 0; p < batch; p++)
        {
            int ao = p * m * k, bo = shared ? 0 : p * k * n, yo = p * m * n;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int t = 0; t < k; t++)
                    {
                        sum += a.Values[ao + (i * k) + t] * b.Values[bo + (t * n) + j];
                    }

                    y[yo + (i * n) + j] = sum;
                }
            }
        }

        return new Tensor(y, [.. a.Dims[..^1], n]);
    }

    /// <summary>A view with new dimensions (same element count); <see cref="Batch"/> may stand for the leading one.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(shape);
        int known = 1, free = -1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == Batch && free < 0)
            {
                free = i;
            }
            else
            {
                known *= shape[i];
            }
        }

        int[] dims = (int[])shape.Clone();
        if (free >= 0)
        {
            dims[free] = known > 0 ? x.Length / known : 0;
        }

        return new Tensor(x.Values, dims);
    }

    /// <summary>Swaps the last two dimensions.</summary>
    public static Tensor Transpose(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int rank = x.Dims.Length;
        if (rank < 2)
        {
            throw new ArgumentException($"Transpose needs at least two dimensions; x has shape {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        return SwapMiddle(x, x.Length / (x.Dims[^2] * x.Dims[^1]), x.Dims[^2], x.Dims[^1], 1, [.. x.Dims[..^2], x.Dims[^1], x.Dims[^2]]);
    }

    /// <summary>
    /// Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (negative counts from the end), as
    /// <c>torch.transpose</c>; the batch dimension cannot move.
    /// </summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        ArgumentNullException.ThrowIfNull(x);
        int rank = x.Dims.Length;
        int i = dim0 < 0 ? dim0 + rank : dim0, j = dim1 < 0 ? dim1 + rank : dim1;
        if (i < 0 || i >= rank || j < 0 || j >= rank || i == j)
        {
            throw new ArgumentException($"Transpose needs two different dimensions of {EagerShape.Format(x.Shape)}; got {dim0} and {dim1}.", nameof(dim1));
        }

        (i, j) = (Math.Min(i, j), Math.Max(i, j));
        // [outer, a, m, b, inner] -> [outer, b, m, a, inner] as two swaps of neighbouring blocks.
        int outer = Product(x.Dims[..i]), a = x.Dims[i], b = x.Dims[j];
        int m = Product(x.Dims[(i + 1)..j]), inner = Product(x.Dims[(j + 1)..]);
        int[] shape = (int[])x.Dims.Clone();
        (shape[i], shape[j]) = (b, a);
        Tensor moved = SwapMiddle(x, outer, a, m * b, inner, x.Dims);
        return SwapMiddle(moved, outer, m, b, a * inner, shape);
    }

    /// <summary>[.., T, heads * d] -> [.., heads, T, d].</summary>
    public static Tensor SplitHeads(Tensor x, int heads)
    {
        ArgumentNullException.ThrowIfNull(x);
        int t = x.Dims[^2], width = x.Dims[^1];
        if (heads <= 0 || width % heads != 0)
        {
            throw new ArgumentException($"{heads} heads do not divide the last dimension of {EagerShape.Format(x.Shape)}.", nameof(heads));
        }

        int d = width / heads;
        return SwapMiddle(x, x.Length / (t * width), t, heads, d, [.. x.Dims[..^2], heads, t, d]);
    }

    /// <summary>[.., heads, T, d] -> [.., T, heads * d].</summary>
    public static Tensor MergeHeads(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int heads = x.Dims[^3], t = x.Dims[^2], d = x.Dims[^1];
        return SwapMiddle(x, x.Length / (heads * t * d), heads, t, d, [.. x.Dims[..^3], t, heads * d]);
    }

    /// <summary>Scores [.., T, T] with every future position (column > row) set to -infinity.</summary>
    public static Tensor CausalMask(Tensor scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int t = scores.Dims[^1];
        var y = (double[])scores.Values.Clone();
        for (int i = 0; i < y.Length; i++)
        {
            if (i % t > (i / t) % t)
            {
                y[i] = double.NegativeInfinity;
            }
        }

        return new Tensor(y, scores.Dims);
    }

    /// <summary>
    /// Multi-head scaled dot-product attention on [.., T, heads * d] inputs: softmax(q k^T / sqrt(d)) v per head,
    /// with the causal mask when <paramref name="causal"/>; the result is [.., T, heads * d]. A
    /// <paramref name="keyPaddingMask"/> [.., T] (PyTorch's key_padding_mask, nonzero marks a padded key) keeps every
    /// query from attending to those keys; a query whose keys are all masked gets NaN, as in PyTorch.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, int heads, bool causal = true, Precision? precision = null, Tensor? keyPaddingMask = null)
    {
        Tensor qh = SplitHeads(q, heads), kh = SplitHeads(k, heads), vh = SplitHeads(v, heads);
        Tensor scores = Scale(MatMul(qh, Transpose(kh)), (float)(1 / Math.Sqrt(qh.Dims[^1])));
        scores = causal ? CausalMask(scores) : scores;
        if (keyPaddingMask is not null)
        {
            int keys = scores.Dims[^1];
            if (keyPaddingMask.Length * heads * keys != scores.Length || keyPaddingMask.Dims[^1] != keys)
            {
                throw new ArgumentException($"keyPaddingMask has shape {EagerShape.Format(keyPaddingMask.Shape)}; q has {EagerShape.Format(q.Shape)} (the mask is q's shape without its last dimension).", nameof(keyPaddingMask));
            }

            var masked = (double[])scores.Values.Clone();
            int rows = heads * scores.Dims[^2];
            for (int i = 0; i < masked.Length; i++)
            {
                int key = i % keys, outer = i / (keys * rows);
                masked[i] = keyPaddingMask.Values[(outer * keys) + key] != 0 ? double.NegativeInfinity : masked[i];
            }

            scores = new Tensor(masked, scores.Dims);
        }

        return MergeHeads(MatMul(Softmax(scores), vh));
    }

    /// <summary><paramref name="count"/> fresh modules, for a fixed-size array field of blocks.</summary>
    public static T[] Repeat<T>(int count)
        where T : new()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var modules = new T[count];
        for (int i = 0; i < count; i++)
        {
            modules[i] = new T();
        }

        return modules;
    }

    /// <summary>
    /// <paramref name="count"/> modules made by <paramref name="create"/>, for a block array whose module takes arguments:
    /// <c>Repeat(12, () =&gt; new Block(128, 4))</c>. The generator reads the constructor call inside the lambda.
    /// </summary>
    public static T[] Repeat<T>(int count, Func<T> create)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(create);
        var modules = new T[count];
        for (int i = 0; i < count; i++)
        {
            modules[i] = create();
        }

        return modules;
    }

    // [outer, a, b, inner] -> [outer, b, a, inner]
    private static Tensor SwapMiddle(Tensor x, int outer, int a, int b, int inner, int[] shape)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < a; i++)
            {
                for (int j = 0; j < b; j++)
                {
                    Array.Copy(x.Values, (((o * a) + i) * b + j) * inner, y, (((o * b) + j) * a + i) * inner, inner);
                }
            }
        }

        return new Tensor(y, shape);
    }
}
