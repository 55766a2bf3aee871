namespace Amp;

// Cat, Slice and Split: a block of columns of every row copied between two row layouts, and its accumulating backward.
internal sealed partial class CpuDevice
{
    private protected override void CopyColumnsCore(DeviceTensor x, DeviceTensor y, int rows, int xColumns, int xStart, int yColumns, int yStart, int count)
    {
        Array source = ((CpuTensor)x).Data, destination = ((CpuTensor)y).Data;
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(source, ((long)r * xColumns) + xStart, destination, ((long)r * yColumns) + yStart, count);
        }
    }

    private protected override void AccumulateColumnsCore(DeviceTensor dy, DeviceTensor dx, int rows, int dyColumns, int dyStart, int dxColumns, int dxStart, int count)
    {
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        for (int r = 0; r < rows; r++)
        {
            VectorMath.Axpy(d.AsSpan((r * dxColumns) + dxStart, count), g.AsSpan((r * dyColumns) + dyStart, count), 1f);
        }
    }
}
