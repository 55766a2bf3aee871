using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Transpose, SplitHeads and MergeHeads: SwapMiddle and its accumulating backward.
internal sealed partial class IlgpuDevice
{
    private protected override void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("swapmiddleaccumulate", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.SwapMiddleAccumulate))(
            threads, gy.View, gx.View, a, b, inner, threads);
        Launched();
    }

    private protected override void SwapMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner)
    {
        var ix = (IlgpuTensor)x;
        var iy = (IlgpuTensor)y;
        int threads = Threads(y.Length);
        switch (x.Precision)
        {
            case Precision.Fp32: Swap<float>(); break;
            case Precision.Bf16: Swap<ushort>(); break;
            default: Swap<KernelHalf>(); break;
        }

        Launched();

        void Swap<T>()
            where T : unmanaged
        {
            var kernel = Kernel(
                $"swapmiddle/{typeof(T).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>(IlgpuModelKernels.SwapMiddle<T>));
            kernel(threads, ix.View<T>(), iy.View<T>(), a, b, inner, threads);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dx [outer, a, b, inner] += dy [outer, b, a, inner], element by element of dx.</summary>
    public static void SwapMiddleAccumulate(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int a, int b, int inner, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            long k = i % inner, rest = i / inner;
            long bj = rest % b;
            rest /= b;
            long ai = rest % a, o = rest / a;
            dx[i] += dy[((((o * b) + bj) * a) + ai) * inner + k];
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>[outer, a, b, inner] -> [outer, b, a, inner], element by element of the destination.</summary>
    public static void SwapMiddle<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, int a, int b, int inner, int stride)
        where T : unmanaged
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long k = i % inner, rest = i / inner;
            long ai = rest % a;
            rest /= a;
            long bj = rest % b, o = rest / b;
            y[i] = x[((((o * a) + ai) * b) + bj) * inner + k];
        }
    }
}
