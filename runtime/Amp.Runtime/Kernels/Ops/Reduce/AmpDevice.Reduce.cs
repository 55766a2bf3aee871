namespace Amp;

// Row reductions (Sum, Mean, Max) and their backward: bias gradients (AccumulateRows) and the broadcast of a row gradient (BroadcastRowsAccumulate).
public abstract partial class AmpDevice
{
    /// <summary>result[r] = sum of row r of x (rows: every dimension but the last), accumulated in FP32.</summary>
    public void RowSum(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Sum);

    /// <summary>result[r] = max of row r of x.</summary>
    public void RowMax(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Max);

    /// <summary>result[r] = mean of row r of x, accumulated in FP32.</summary>
    public void RowMean(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Mean);

    private void RowReduce(DeviceTensor x, DeviceTensor result, RowReduction reduction)
    {
        Owns(x, nameof(x));
        Owns(result, nameof(result));
        ShapeCheck.RowCount(x, result, nameof(result));
        RowReduceCore(x, result, reduction);
    }

    private protected abstract void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction);

    /// <summary>
    /// destination[i] += sum over r of source[r * n + i], n = destination's length: the gradient of a broadcast
    /// (a bias added to every row, a smaller operand of an elementwise op) and, with equal lengths, dx += dy.
    /// </summary>
    public void AccumulateRows(DeviceTensor source, DeviceTensor destination)
    {
        Owns(source, nameof(source));
        Owns(destination, nameof(destination));
        if (source.Length % destination.Length != 0)
        {
            throw new ArgumentException($"'source' {source.Shape} is not a whole number of rows of 'destination' {destination.Shape}.", nameof(source));
        }

        AccumulateRowsCore(source, destination);
    }

    /// <summary>dx[r, c] += dy[r] * scale: the gradient of a row Sum (scale 1) or Mean (scale 1 / columns).</summary>
    public void BroadcastRowsAccumulate(DeviceTensor dy, DeviceTensor dx, float scale)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        ShapeCheck.RowCount(dx, dy, nameof(dy));
        BroadcastRowsAccumulateCore(dy, dx, scale);
    }

    private protected abstract void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination);

    private protected abstract void BroadcastRowsAccumulateCore(DeviceTensor dy, DeviceTensor dx, float scale);
}
