namespace Amp;

// Expand (NumPy broadcasting of size-1 dimensions): a run of size-1 dimensions repeated, and its backward.
internal sealed partial class CpuDevice
{
    private protected override void RepeatMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int repeats, int inner)
    {
        Array source = ((CpuTensor)x).Data, destination = ((CpuTensor)y).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int r = 0; r < repeats; r++)
            {
                Array.Copy(source, (long)o * inner, destination, (((long)o * repeats) + r) * inner, inner);
            }
        }
    }

    private protected override void SumMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int repeats, int inner)
    {
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        for (int o = 0; o < outer; o++)
        {
            for (int r = 0; r < repeats; r++)
            {
                VectorMath.Axpy(d.AsSpan(o * inner, inner), g.AsSpan(((o * repeats) + r) * inner, inner), 1f);
            }
        }
    }
}
