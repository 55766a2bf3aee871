using System.Numerics;

namespace Amp;

// Transpose, SplitHeads and MergeHeads: SwapMiddle and its accumulating backward.
internal sealed partial class CpuDevice
{
    private protected override void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < b; j++)
            {
                for (int i = 0; i < a; i++)
                {
                    VectorMath.Axpy(d.AsSpan(((((o * a) + i) * b) + j) * inner, inner), g.AsSpan(((((o * b) + j) * a) + i) * inner, inner), 1f);
                }
            }
        }
    }

    private protected override void SwapMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner)
    {
        Array source = ((CpuTensor)x).Data, destination = ((CpuTensor)y).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < a; i++)
            {
                for (int j = 0; j < b; j++)
                {
                    Array.Copy(source, ((((o * a) + i) * b) + j) * inner, destination, ((((o * b) + j) * a) + i) * inner, inner);
                }
            }
        }
    }
}
