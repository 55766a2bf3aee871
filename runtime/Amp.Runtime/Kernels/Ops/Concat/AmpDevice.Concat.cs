namespace Amp;

// Cat, Slice and Split: a block of columns of every row copied between two row layouts, and its accumulating backward.
// A tensor [outer, a, inner] cut at its dimension of size a is `outer` rows of a * inner columns; a piece of it is a
// run of columns at the same place in every row.
public abstract partial class AmpDevice
{
    /// <summary>
    /// y[r, yStart .. yStart + count) = x[r, xStart .. xStart + count) for every row r, with x seen as
    /// [rows, xColumns] and y as [rows, yColumns] (same precision); the rest of y is left as it is.
    /// </summary>
    public void CopyColumns(DeviceTensor x, DeviceTensor y, int rows, int xColumns, int xStart, int yColumns, int yStart, int count)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        Columns(x, y, rows, xColumns, xStart, yColumns, yStart, count, nameof(CopyColumns), nameof(y));
        if (x.Precision != y.Precision)
        {
            throw new ArgumentException($"CopyColumns copies within one precision; x is {x} and y is {y}.", nameof(y));
        }

        CopyColumnsCore(x, y, rows, xColumns, xStart, yColumns, yStart, count);
    }

    private protected abstract void CopyColumnsCore(DeviceTensor x, DeviceTensor y, int rows, int xColumns, int xStart, int yColumns, int yStart, int count);

    /// <summary>The backward of a column copy: dx[r, dxStart ..) += dy[r, dyStart ..) over <paramref name="count"/> columns, in FP32.</summary>
    public void AccumulateColumns(DeviceTensor dy, DeviceTensor dx, int rows, int dyColumns, int dyStart, int dxColumns, int dxStart, int count)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        Columns(dy, dx, rows, dyColumns, dyStart, dxColumns, dxStart, count, nameof(AccumulateColumns), nameof(dx));
        AccumulateColumnsCore(dy, dx, rows, dyColumns, dyStart, dxColumns, dxStart, count);
    }

    private protected abstract void AccumulateColumnsCore(DeviceTensor dy, DeviceTensor dx, int rows, int dyColumns, int dyStart, int dxColumns, int dxStart, int count);

    private static void Columns(DeviceTensor from, DeviceTensor to, int rows, int fromColumns, int fromStart, int toColumns, int toStart, int count, string op, string parameter)
    {
        bool fits = rows > 0 && count > 0 && fromStart >= 0 && toStart >= 0
            && fromStart + count <= fromColumns && toStart + count <= toColumns
            && (long)rows * fromColumns == from.Length && (long)rows * toColumns == to.Length;
        if (!fits)
        {
            throw new ArgumentException(
                $"{op}: {count} columns from {fromStart} of [{rows}, {fromColumns}] to {toStart} of [{rows}, {toColumns}] do not fit {from} and {to}.", parameter);
        }
    }
}
