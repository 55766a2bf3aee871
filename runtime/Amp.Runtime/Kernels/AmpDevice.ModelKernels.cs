namespace Amp;

// The ops generated models need beyond GEMM and the row kernels: normalisation with its affine part,
// embedding lookup, head layout, the causal mask and the negative log-likelihood. Validate here, run in *Core.
public abstract partial class AmpDevice
{
    /// <summary>
    /// y = (x - mean) * rstd * weight + bias per row (PyTorch's LayerNorm, biased variance), in FP32; the row
    /// statistics are written to <paramref name="mean"/> and <paramref name="rstd"/> (FP32, one per row) for the backward pass.
    /// </summary>
    public void LayerNorm(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y, DeviceTensor mean, DeviceTensor rstd, float epsilon)
    {
        LayerNormStatistics(x, mean, rstd, epsilon);
        CheckAffine(x, weight, bias, y);
        NormAffineCore(x, mean, rstd, weight, bias, y);
    }

    /// <summary>y = x * rstd * weight per row, rstd = 1 / sqrt(mean(x^2) + eps), in FP32.</summary>
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, DeviceTensor y, DeviceTensor rstd, float epsilon)
    {
        RmsNormStatistics(x, rstd, epsilon);
        CheckAffine(x, weight, null, y);
        NormAffineCore(x, null, rstd, weight, null, y);
    }

    /// <summary>
    /// Row r of y = row ids[r] of table. Ids are stored as FP32 integers (exact below 2^24); each must be in
    /// [0, table rows).
    /// </summary>
    public void Gather(DeviceTensor table, DeviceTensor ids, DeviceTensor y)
    {
        Owns(table, nameof(table));
        Owns(ids, nameof(ids));
        Owns(y, nameof(y));
        ShapeCheck.Fp32(ids, nameof(ids));
        if (y.Shape.Columns != table.Shape.Columns || y.Shape.Rows != ids.Length)
        {
            throw new ArgumentException($"y must be [{ids.Length} rows, {table.Shape.Columns}] for {ids.Length} ids into {table.Shape}; got {y.Shape}.", nameof(y));
        }

        GatherCore(table, ids, HostIds(ids, table.Shape.Rows, nameof(ids), "Id at position"), y);
    }

    /// <summary>y = x viewed as [outer, a, b, inner] with the middle axes swapped: [outer, b, a, inner] (same precision).</summary>
    public void SwapMiddle(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        long count = (long)outer * a * b * inner;
        if (outer <= 0 || a <= 0 || b <= 0 || inner <= 0 || count != x.Length || x.Length != y.Length || x.Precision != y.Precision)
        {
            throw new ArgumentException($"SwapMiddle [{outer}, {a}, {b}, {inner}] does not fit x {x} and y {y} (same precision and element count).", nameof(y));
        }

        SwapMiddleCore(x, y, outer, a, b, inner);
    }

    /// <summary>Scores [.., T, T]: y = x below and on the diagonal, -infinity above it (future positions).</summary>
    public void CausalMask(DeviceTensor x, DeviceTensor y)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        if (x.Shape.Rank < 2 || x.Shape[-1] != x.Shape[-2])
        {
            throw new ArgumentException($"CausalMask needs square [.., T, T] scores; x is {x.Shape}.", nameof(x));
        }

        CausalMaskCore(x, y);
    }

    /// <summary>loss[0] = mean over rows of -logProbs[row, labels[row]] (labels as FP32 integers), in FP32.</summary>
    public void NllLoss(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor loss)
    {
        Owns(logProbs, nameof(logProbs));
        Owns(labels, nameof(labels));
        Owns(loss, nameof(loss));
        ShapeCheck.Fp32(labels, nameof(labels));
        ShapeCheck.Fp32(loss, nameof(loss));
        ShapeCheck.RowCount(logProbs, labels, nameof(labels));
        if (loss.Length != 1)
        {
            throw new ArgumentException($"loss must hold one value; it is {loss.Shape}.", nameof(loss));
        }

        NllLossCore(logProbs, labels, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row"), loss);
    }

    /// <summary>Ids stored as FP32 read back once and checked to be integers in [0, limit); the Cpu kernels use the copy.</summary>
    private static float[] HostIds(DeviceTensor ids, int limit, string name, string what)
    {
        float[] values = ids.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] >= limit || values[i] != MathF.Floor(values[i]))
            {
                throw new ArgumentOutOfRangeException(name, values[i], $"{what} {i} is not an integer in [0, {limit}).");
            }
        }

        return values;
    }

    private void CheckAffine(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        Owns(weight, nameof(weight));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        if (weight.Length != x.Shape.Columns)
        {
            throw new ArgumentException($"weight must have {x.Shape.Columns} values (x is {x.Shape}); it is {weight.Shape}.", nameof(weight));
        }

        if (bias is not null)
        {
            Owns(bias, nameof(bias));
            ShapeCheck.Same(weight, bias, nameof(bias));
        }
    }

    private protected abstract void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y);

    private protected abstract void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y);

    private protected abstract void SwapMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner);

    private protected abstract void CausalMaskCore(DeviceTensor x, DeviceTensor y);

    private protected abstract void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss);
}
