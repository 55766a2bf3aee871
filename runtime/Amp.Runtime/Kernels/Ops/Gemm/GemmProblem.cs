namespace Amp;

/// <summary>
/// A validated GEMM: sizes, leading dimensions (row-major, as stored) and per-batch strides; a stride of 0
/// shares that operand across the batch.
/// </summary>
internal readonly record struct GemmProblem(
    int Batch, int M, int N, int K,
    bool TransposeA, bool TransposeB,
    int Lda, int Ldb, int Ldc,
    long StrideA, long StrideB, long StrideC,
    float Alpha, float Beta, bool Tf32 = false)
{
    public long Flops => 2L * Batch * M * N * K;

    public static GemmProblem Validate(AmpDevice device, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        device.Owns(a, nameof(a));
        device.Owns(b, nameof(b));
        device.Owns(c, nameof(c));
        if (c.Shape.Rank < 2)
        {
            throw new ArgumentException($"'c' must have rank 2 ([m, n]) or more (leading batch dimensions); got {c.Shape}.", nameof(c));
        }

        ReadOnlySpan<int> batchDims = c.Shape.Dimensions[..^2];
        int batch = 1;
        foreach (int d in batchDims)
        {
            batch *= d;
        }

        (int am, int ak, long strideA) = Operand(a, nameof(a), options.TransposeA, batchDims);
        (int bk, int bn, long strideB) = Operand(b, nameof(b), options.TransposeB, batchDims);
        if (ak != bk)
        {
            throw new ArgumentException(
                $"Gemm inner dimensions differ: op(a) is [{am}, {ak}] (a {a.Shape}{(options.TransposeA ? ", transposed" : "")}) " +
                $"but op(b) is [{bk}, {bn}] (b {b.Shape}{(options.TransposeB ? ", transposed" : "")}).",
                nameof(b));
        }

        int m = c.Shape[-2], n = c.Shape[-1];
        if (m != am || n != bn)
        {
            throw new ArgumentException(
                $"'c' has shape {c.Shape} but op(a) * op(b) is [{am}, {bn}] per batch entry.", nameof(c));
        }

        if (options.Bias is { } bias)
        {
            device.Owns(bias, "bias");
            if (bias.Shape.Rank != 1 || bias.Length != n)
            {
                throw new ArgumentException($"'bias' has shape {bias.Shape} but must be [{n}] (one value per column of c).", "bias");
            }
        }

        if (!float.IsFinite(options.Alpha) || !float.IsFinite(options.Beta))
        {
            throw new ArgumentException($"Alpha ({options.Alpha}) and Beta ({options.Beta}) must be finite.", nameof(options));
        }

        return new GemmProblem(
            batch, m, n, ak,
            options.TransposeA, options.TransposeB,
            Lda: a.Shape[-1], Ldb: b.Shape[-1], Ldc: n,
            strideA, strideB, StrideC: (long)m * n,
            options.Alpha, options.Beta, options.Tf32);
    }

    /// <summary>Returns op(X)'s rows and columns and its batch stride (0 when shared across the batch).</summary>
    private static (int Rows, int Cols, long Stride) Operand(DeviceTensor x, string name, bool transpose, ReadOnlySpan<int> batchDims)
    {
        TensorShape s = x.Shape;
        if (s.Rank < 2)
        {
            throw new ArgumentException($"'{name}' must have rank 2 or more; got {s}.", name);
        }

        ReadOnlySpan<int> ownBatch = s.Dimensions[..^2];
        bool shared = ownBatch.Length == 0;
        if (!shared && !ownBatch.SequenceEqual(batchDims))
        {
            throw new ArgumentException(
                $"'{name}' has shape {s} whose batch dimensions {TensorShape.Format(ownBatch)} differ from c's {TensorShape.Format(batchDims)}.",
                name);
        }

        int r = s[-2], cdim = s[-1];
        return transpose ? (cdim, r, shared ? 0 : (long)r * cdim) : (r, cdim, shared ? 0 : (long)r * cdim);
    }
}
