namespace Amp;

// Cat, Slice and Split, eager FP64: pieces of a tensor along one dimension (PyTorch's cat, slicing and split).
public static partial class Ops
{
    /// <summary>
    /// Joins <paramref name="tensors"/> along <paramref name="dim"/> (negative counts from the end), as <c>torch.cat</c>:
    /// every other dimension must agree; the batch dimension cannot be joined. Mixed precisions promote to the widest.
    /// </summary>
    public static Tensor Cat(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
        {
            throw new ArgumentException("Cat needs at least one tensor.", nameof(tensors));
        }

        Tensor first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors));
        int rank = first.Dims.Length;
        int d = Dimension(dim, rank, nameof(dim));
        foreach (Tensor t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            bool agree = t.Dims.Length == rank && Enumerable.Range(0, rank).All(i => i == d || t.Dims[i] == first.Dims[i]);
            if (!agree)
            {
                throw new ArgumentException($"Cat along dim {dim}: {EagerShape.Format(t.Shape)} does not match {EagerShape.Format(first.Shape)} outside that dimension.", nameof(tensors));
            }
        }

        int outer = Product(first.Dims[..d]), inner = Product(first.Dims[(d + 1)..]);
        int total = tensors.Sum(t => t.Dims[d]);
        var y = new double[outer * total * inner];
        int offset = 0;
        foreach (Tensor t in tensors)
        {
            int width = t.Dims[d] * inner;
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(t.Values, o * width, y, (o * total * inner) + offset, width);
            }

            offset += width;
        }

        int[] shape = (int[])first.Dims.Clone();
        shape[d] = total;
        return new Tensor(y, shape);
    }

    /// <summary>
    /// <c>x[.., start:end, ..]</c> along <paramref name="dim"/>: Python's slice with step 1, negative
    /// <paramref name="start"/>/<paramref name="end"/> counting from the end, an end past the dimension stopping at it
    /// (leave it out for <c>x[.., start:]</c>); the slice must not be empty.
    /// </summary>
    public static Tensor Slice(Tensor x, int dim, int start, int end = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Dimension(dim, x.Dims.Length, nameof(dim));
        int size = x.Dims[d];
        int from = start < 0 ? start + size : start, to = end < 0 ? end + size : Math.Min(end, size);
        if (from < 0 || to > size || from >= to)
        {
            throw new ArgumentException($"Slice [{start}:{end}] of dim {dim} (size {size}) of {EagerShape.Format(x.Shape)} is empty or out of range.", nameof(end));
        }

        int outer = Product(x.Dims[..d]), inner = Product(x.Dims[(d + 1)..]);
        int width = (to - from) * inner;
        var y = new double[outer * width];
        for (int o = 0; o < outer; o++)
        {
            Array.Copy(x.Values, (o * size * inner) + (from * inner), y, o * width, width);
        }

        int[] shape = (int[])x.Dims.Clone();
        shape[d] = to - from;
        return new Tensor(y, shape);
    }

    /// <summary>
    /// Pieces of <paramref name="splitSize"/> along <paramref name="dim"/>, the last one smaller when the size does not
    /// divide (as <c>torch.split</c>): <c>Tensor[] qkv = Split(x, d, -1)</c>, then <c>qkv[0]</c>.
    /// </summary>
    public static Tensor[] Split(Tensor x, int splitSize, int dim)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splitSize);
        int size = x.Dims[Dimension(dim, x.Dims.Length, nameof(dim))];
        var pieces = new List<Tensor>();
        for (int start = 0; start < size; start += splitSize)
        {
            pieces.Add(Slice(x, dim, start, Math.Min(start + splitSize, size)));
        }

        return [.. pieces];
    }

    /// <summary>
    /// The positions 0, 1, .., count - 1 as ids (torch.arange), for an Embedding of positions:
    /// <c>x = tok.Apply(idx) + pos.Apply(Arange(T))</c> adds [T, d] to every sample of [Batch, T, d].
    /// </summary>
    public static Tokens Arange(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return new Tokens([.. Enumerable.Range(0, count)], count);
    }

    private static int Dimension(int dim, int rank, string name)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
        {
            throw new ArgumentOutOfRangeException(name, dim, $"A tensor of rank {rank} has no dimension {dim}.");
        }

        return d;
    }

    private static int Product(int[] dims) => dims.Aggregate(1, (p, v) => p * v);
}
