using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// BinaryCrossEntropyWithLogits backward (its forward is a fused softplus(x) - x y chain and a RowMean).
internal sealed partial class IlgpuDevice
{
    private protected override void BinaryCrossEntropyWithLogitsBackwardCore(DeviceTensor logits, DeviceTensor targets, DeviceTensor dloss, DeviceTensor? dlogits, DeviceTensor? dtargets)
    {
        using Fp32Copy gx = new(this, dlogits, writeBack: true), gy = new(this, dtargets, writeBack: true);
        using Fp32Copy x = new(this, logits), y = new(this, targets);
        int threads = Threads(logits.Length);
        Kernel("bcewithlogitsbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuBackwardKernels.BinaryCrossEntropyWithLogitsBackward))(
            threads, x.View, y.View, F(dloss), gx.View, gy.View, dlogits is null ? 0 : 1, dtargets is null ? 0 : 1, threads);
        Launched();
    }
}

internal static partial class IlgpuBackwardKernels
{
    public static void BinaryCrossEntropyWithLogitsBackward(
        Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dloss, ArrayView<float> dx, ArrayView<float> dy, int hasX, int hasY, int stride)
    {
        float k = dloss[0] / x.Length;
        for (long i = index; i < x.Length; i += stride)
        {
            if (hasX != 0)
            {
                dx[i] += k * ((1f / (1f + MathF.Exp(-x[i]))) - y[i]);
            }

            if (hasY != 0)
            {
                dy[i] -= k * x[i];
            }
        }
    }
}
