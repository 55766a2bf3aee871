namespace Amp;

// The backward kernels, each beside the math of its forward op. Gradients are FP32 and every kernel ACCUMULATES
// into its gradient outputs (dx += ...), so a tensor read by several ops sums their contributions without a
// separate add; the caller zeroes gradient buffers once per step (Fill). Saved activations are read in the
// precision they were stored in.
public abstract partial class AmpDevice
{
    /// <summary>t = value everywhere (gradients are zeroed with it).</summary>
    public void Fill(DeviceTensor tensor, float value)
    {
        Owns(tensor, nameof(tensor));
        FillCore(tensor, value);
    }

    /// <summary>
    /// destination[i] += sum over r of source[r * n + i], n = destination's length: the gradient of a broadcast
    /// (a bias added to every row, a smaller operand of an elementwise op) and, with equal lengths, dx += dy.
    /// </summary>
    public void AccumulateRows(DeviceTensor source, DeviceTensor destination)
    {
        Gradients(nameof(source), source);
        Gradients(nameof(destination), destination);
        if (source.Length % destination.Length != 0)
        {
            throw new ArgumentException($"'source' {source.Shape} is not a whole number of rows of 'destination' {destination.Shape}.", nameof(source));
        }

        AccumulateRowsCore(source, destination);
    }

    /// <summary>dx[r, c] += dy[r] * scale: the gradient of a row Sum (scale 1) or Mean (scale 1 / columns).</summary>
    public void BroadcastRowsAccumulate(DeviceTensor dy, DeviceTensor dx, float scale)
    {
        Gradients(nameof(dy), dy);
        Gradients(nameof(dx), dx);
        ShapeCheck.RowCount(dx, dy, nameof(dy));
        BroadcastRowsAccumulateCore(dy, dx, scale);
    }

    /// <summary>
    /// Softmax: dx += y * (dy - sum(dy * y)); log-softmax (log = true, y = log-probabilities): dx += dy - exp(y) * sum(dy).
    /// Rows are the last dimension, in FP32.
    /// </summary>
    public void SoftmaxBackward(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        Owns(y, nameof(y));
        Gradients(nameof(dy), dy);
        Gradients(nameof(dx), dx);
        ShapeCheck.Same(y, dy, nameof(dy));
        ShapeCheck.Same(y, dx, nameof(dx));
        SoftmaxBackwardCore(y, dy, dx, log);
    }

    /// <summary>
    /// LayerNorm (mean given) or RmsNorm (mean null) backward from the saved statistics, x_hat = (x - mean) * rstd:
    /// dx += rstd * (dy*w - mean(dy*w) - x_hat * mean(dy*w * x_hat)) (RmsNorm drops the mean(dy*w) term);
    /// dweight += sum over rows of dy * x_hat; dbias += sum over rows of dy. A null dx skips the input gradient
    /// (the norm reads a tensor that needs none).
    /// </summary>
    public void NormBackward(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        Owns(x, nameof(x));
        Owns(weight, nameof(weight));
        Gradients(nameof(rstd), rstd);
        Gradients(nameof(dy), dy);
        Gradients(nameof(dweight), dweight);
        ShapeCheck.Same(x, dy, nameof(dy));
        ShapeCheck.RowCount(x, rstd, nameof(rstd));
        if (dx is not null)
        {
            Gradients(nameof(dx), dx);
            ShapeCheck.Same(x, dx, nameof(dx));
        }

        if (mean is not null)
        {
            Gradients(nameof(mean), mean);
            ShapeCheck.RowCount(x, mean, nameof(mean));
        }

        if (weight.Length != x.Shape.Columns || dweight.Length != x.Shape.Columns || (dbias is not null && dbias.Length != x.Shape.Columns))
        {
            throw new ArgumentException($"The norm's weight, dweight and dbias must have {x.Shape.Columns} elements (x is {x.Shape}).", nameof(dweight));
        }

        if (dbias is not null)
        {
            Gradients(nameof(dbias), dbias);
        }

        NormBackwardCore(x, weight, mean, rstd, dy, dx, dweight, dbias);
    }

    /// <summary>Embedding backward: dtable[ids[r]] += dy[r] (rows in order, so the sum is deterministic).</summary>
    public void ScatterAddRows(DeviceTensor dy, DeviceTensor ids, DeviceTensor dtable)
    {
        Gradients(nameof(dy), dy);
        Owns(ids, nameof(ids));
        Gradients(nameof(dtable), dtable);
        if (dy.Length != ids.Length * dtable.Shape.Columns)
        {
            throw new ArgumentException($"'dy' {dy.Shape} must have one row of {dtable.Shape.Columns} per id ({ids.Length} ids).", nameof(dy));
        }

        ScatterAddRowsCore(dy, ids, HostIds(ids, dtable.Shape.Rows, nameof(ids), "Id at position"), dtable);
    }

    /// <summary>The backward of SwapMiddle: dx [outer, a, b, inner] += dy [outer, b, a, inner] with the middle axes swapped back.</summary>
    public void SwapMiddleAccumulate(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        Gradients(nameof(dy), dy);
        Gradients(nameof(dx), dx);
        long count = (long)outer * a * b * inner;
        if (outer <= 0 || a <= 0 || b <= 0 || inner <= 0 || count != dy.Length || dy.Length != dx.Length)
        {
            throw new ArgumentException($"SwapMiddleAccumulate [{outer}, {b}, {a}, {inner}] does not fit dy {dy} and dx {dx}.", nameof(dx));
        }

        SwapMiddleAccumulateCore(dy, dx, outer, b, a, inner);
    }

    /// <summary>The backward of CausalMask: dx += dy below and on the diagonal (masked scores get no gradient).</summary>
    public void CausalMaskBackward(DeviceTensor dy, DeviceTensor dx)
    {
        Gradients(nameof(dy), dy);
        Gradients(nameof(dx), dx);
        ShapeCheck.Same(dy, dx, nameof(dx));
        CausalMaskBackwardCore(dy, dx);
    }

    /// <summary>
    /// Cross-entropy fused as softmax minus one-hot: dlogits[r, c] += dloss[0] / rows * (exp(logProbs[r, c]) - [c == label_r]).
    /// <paramref name="dloss"/> is the loss's one-element gradient (the loss scale when the loss is the graph's output).
    /// </summary>
    public void CrossEntropyBackward(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        Owns(logProbs, nameof(logProbs));
        Owns(labels, nameof(labels));
        Gradients(nameof(dloss), dloss);
        Gradients(nameof(dlogits), dlogits);
        ShapeCheck.RowCount(logProbs, labels, nameof(labels));
        if (dlogits.Length != logProbs.Length || dloss.Length != 1)
        {
            throw new ArgumentException($"'dlogits' {dlogits.Shape} must match logProbs {logProbs.Shape} and 'dloss' {dloss.Shape} must hold one value.", nameof(dlogits));
        }

        CrossEntropyBackwardCore(logProbs, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row"), labels, dloss, dlogits);
    }

    /// <summary>MseLoss = mean((a - b)^2): da += dloss * 2 (a - b) / n, db -= the same (either may be null: no gradient).</summary>
    public void MseLossBackward(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        Owns(a, nameof(a));
        Owns(b, nameof(b));
        Gradients(nameof(dloss), dloss);
        ShapeCheck.Same(a, b, nameof(b));
        foreach ((DeviceTensor? g, string name) in new[] { (da, nameof(da)), (db, nameof(db)) })
        {
            if (g is not null)
            {
                Gradients(name, g);
                ShapeCheck.Same(a, g, name);
            }
        }

        MseLossBackwardCore(a, b, dloss, da, db);
    }

    /// <summary>The sum of squares of every element of every tensor, accumulated in FP64 (for clip-by-norm).</summary>
    public double SquaredNorm(IReadOnlyList<DeviceTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        double sum = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            Gradients($"tensors[{i}]", tensors[i]);
            sum += SquaredNormCore(tensors[i]);
        }

        return sum;
    }

    private void Gradients(string name, DeviceTensor tensor)
    {
        Owns(tensor, name);
        ShapeCheck.Fp32(tensor, name);
    }

    private protected abstract void FillCore(DeviceTensor tensor, float value);

    private protected abstract void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination);

    private protected abstract void BroadcastRowsAccumulateCore(DeviceTensor dy, DeviceTensor dx, float scale);

    private protected abstract void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log);

    private protected abstract void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias);

    private protected abstract void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable);

    private protected abstract void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner);

    private protected abstract void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx);

    private protected abstract void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits);

    private protected abstract void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db);

    private protected abstract double SquaredNormCore(DeviceTensor tensor);
}
