using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// MseLoss backward (its forward is a fused squared-error chain and a RowMean).
internal sealed partial class IlgpuDevice
{
    private protected override void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        using Fp32Copy ga = new(this, da, writeBack: true), gb = new(this, db, writeBack: true);
        using Fp32Copy x = new(this, a), y = new(this, b);
        int threads = Threads(a.Length);
        Kernel("mselossbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuBackwardKernels.MseLossBackward))(
            threads, x.View, y.View, F(dloss), ga.View, gb.View, da is null ? 0 : 1, db is null ? 0 : 1, threads);
        Launched();
    }
}

internal static partial class IlgpuBackwardKernels
{
    public static void MseLossBackward(
        Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> dloss, ArrayView<float> da, ArrayView<float> db, int hasA, int hasB, int stride)
    {
        float k = 2f * dloss[0] / a.Length;
        for (long i = index; i < a.Length; i += stride)
        {
            float g = k * (a[i] - b[i]);
            if (hasA != 0)
            {
                da[i] += g;
            }

            if (hasB != 0)
            {
                db[i] -= g;
            }
        }
    }
}
