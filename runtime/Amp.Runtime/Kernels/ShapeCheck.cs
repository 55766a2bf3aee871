namespace Amp;

internal static class ShapeCheck
{
    public static void Same(DeviceTensor expected, DeviceTensor actual, string name)
    {
        if (!expected.Shape.Equals(actual.Shape))
        {
            throw new ArgumentException($"'{name}' has shape {actual.Shape} but must match {expected.Shape}.", name);
        }
    }

    /// <summary>A per-row result needs one element per row of x (x's shape without its last dimension).</summary>
    public static void RowCount(DeviceTensor x, DeviceTensor perRow, string name)
    {
        if (perRow.Length != x.Shape.Rows)
        {
            throw new ArgumentException(
                $"'{name}' has shape {perRow.Shape} ({perRow.Length} elements) but x {x.Shape} has {x.Shape.Rows} rows; it needs one element per row.",
                name);
        }
    }

    public static void Fp32(DeviceTensor tensor, string name)
    {
        if (tensor.Precision != Precision.Fp32)
        {
            throw new ArgumentException($"'{name}' must be stored in fp32 (it holds FP32-only state); got {tensor}.", name);
        }
    }
}
