using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Expand (NumPy broadcasting of size-1 dimensions): a run of size-1 dimensions repeated, and its backward.
internal sealed partial class IlgpuDevice
{
    private protected override void RepeatMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int repeats, int inner)
    {
        var ix = (IlgpuTensor)x;
        var iy = (IlgpuTensor)y;
        int threads = Threads(y.Length);
        switch (x.Precision)
        {
            case Precision.Fp32: Repeat<float>(); break;
            case Precision.Bf16: Repeat<ushort>(); break;
            default: Repeat<KernelHalf>(); break;
        }

        Launched();

        void Repeat<T>()
            where T : unmanaged
        {
            var kernel = Kernel(
                $"repeatmiddle/{typeof(T).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>(IlgpuModelKernels.RepeatMiddle<T>));
            kernel(threads, ix.View<T>(), iy.View<T>(), repeats, inner, threads);
        }
    }

    private protected override void SumMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int repeats, int inner)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("summiddleaccumulate", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuBackwardKernels.SumMiddleAccumulate))(
            threads, gy.View, gx.View, repeats, inner, threads);
        Launched();
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y [outer, repeats, inner] = x [outer, inner], element by element of y.</summary>
    public static void RepeatMiddle<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, int repeats, int inner, int stride)
        where T : unmanaged
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long k = i % inner, o = i / ((long)inner * repeats);
            y[i] = x[(o * inner) + k];
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dx [outer, inner] += sum over r of dy [outer, r, inner]: one thread per element of dx, so no races.</summary>
    public static void SumMiddleAccumulate(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int repeats, int inner, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            long k = i % inner, o = i / inner;
            float sum = 0f;
            for (int r = 0; r < repeats; r++)
            {
                sum += dy[(((o * repeats) + r) * inner) + k];
            }

            dx[i] += sum;
        }
    }
}
