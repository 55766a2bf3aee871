using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Fill: gradient zeroing and the loss seed.
internal sealed partial class IlgpuDevice
{
    private protected override void FillCore(DeviceTensor tensor, float value)
    {
        if (tensor.Precision != Precision.Fp32)
        {
            using DeviceTensor source = Allocate(Precision.Fp32, tensor.Length);
            FillCore(source, value);
            Cast(source, tensor.Reshape(tensor.Length));
            return;
        }

        int threads = Threads(tensor.Length);
        Kernel("fill", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, int>(IlgpuBackwardKernels.Fill))(threads, F(tensor), value, threads);
        Launched();
    }

    private protected override void ArangeCore(DeviceTensor positions)
    {
        int threads = Threads(positions.Length);
        Kernel("arange", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int>(IlgpuModelKernels.Arange))(threads, F(positions), threads);
        Launched();
    }
}

internal static partial class IlgpuBackwardKernels
{
    public static void Fill(Index1D index, ArrayView<float> t, float value, int stride)
    {
        for (long i = index; i < t.Length; i += stride)
        {
            t[i] = value;
        }
    }
}

internal static partial class IlgpuModelKernels
{
    public static void Arange(Index1D index, ArrayView<float> positions, int stride)
    {
        for (long i = index; i < positions.Length; i += stride)
        {
            positions[i] = i;
        }
    }
}
