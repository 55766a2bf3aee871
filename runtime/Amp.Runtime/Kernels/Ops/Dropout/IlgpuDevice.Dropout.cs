using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Dropout on ILGPU: one thread per element, the same hash as the Cpu (integer arithmetic: the same masks).
internal sealed partial class IlgpuDevice
{
    private protected override void DropoutCore(DeviceTensor x, DeviceTensor y, float p, DropoutKey key)
    {
        using Fp32Copy input = new(this, x), output = new(this, y, writeBack: true);
        int threads = Threads(y.Length);
        Kernel("dropout", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, DropoutKey, int, int>(IlgpuModelKernels.Dropout))(
            threads, input.View, output.View, p, key, 0, threads);
        Launched();
    }

    private protected override void DropoutBackwardCore(DeviceTensor dy, DeviceTensor dx, float p, DropoutKey key)
    {
        using Fp32Copy g = new(this, dy), d = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("dropout", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, DropoutKey, int, int>(IlgpuModelKernels.Dropout))(
            threads, g.View, d.View, p, key, 1, threads);
        Launched();
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y[i] = x[i] * mask / (1 - p) (accumulate 0), or y[i] += the same (accumulate 1: the backward); the identity when the key is inactive.</summary>
    public static void Dropout(Index1D index, ArrayView<float> x, ArrayView<float> y, float p, DropoutKey key, int accumulate, int stride)
    {
        float scale = 1f / (1f - p);
        for (long i = index; i < y.Length; i += stride)
        {
            float value = key.Active == 0 ? x[i] : key.Keep(i, p) ? x[i] * scale : 0f;
            y[i] = accumulate != 0 ? y[i] + value : value;
        }
    }
}
