using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Row reductions (Sum, Mean, Max) and their backward: bias gradients (AccumulateRows) and the broadcast of a row gradient (BroadcastRowsAccumulate).
internal sealed partial class IlgpuDevice
{
    private protected override void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction) =>
        Dispatch2(x, result, new RowReduceLaunch(this, x.Shape.Columns, (int)reduction, Threads(result.Length)));

    private readonly record struct RowReduceLaunch(IlgpuDevice Device, int Columns, int Mode, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"rowreduce/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, int, int, SI, SO>(IlgpuKernels.RowReduce<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Columns, Mode, Threads, default, default);
        }
    }

    private protected override void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination)
    {
        using Fp32Copy from = new(this, source), to = new(this, destination, writeBack: true);
        int threads = Threads(destination.Length);
        Kernel("accumulaterows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(IlgpuBackwardKernels.AccumulateRows))(threads, from.View, to.View, threads);
        Launched();
    }

    private protected override void BroadcastRowsAccumulateCore(DeviceTensor dy, DeviceTensor dx, float scale)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("broadcastrows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, int>(IlgpuBackwardKernels.BroadcastRows))(
            threads, gy.View, gx.View, dx.Shape.Columns, scale, threads);
        Launched();
    }
}

internal static partial class IlgpuKernels
{
    /// <summary>mode 0: sum, 1: max (NaN propagates).</summary>
    public static void RowReduce<TX, SX, TR, SR>(Index1D index, ArrayView<TX> x, ArrayView<TR> result, int cols, int mode, int stride, SX sx, SR sr)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TR : unmanaged where SR : struct, IKernelStorage<TR>
    {
        for (long row = index; row < result.Length; row += stride)
        {
            long start = row * cols;
            float acc = mode != 1 ? 0f : float.NegativeInfinity;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                acc = mode != 1 ? acc + v : (v > acc || float.IsNaN(v) ? v : acc);
            }

            result[row] = sr.FromFloat(mode == 2 ? acc / cols : acc);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dst[j] += sum over r of src[r * n + j].</summary>
    public static void AccumulateRows(Index1D index, ArrayView<float> src, ArrayView<float> dst, int stride)
    {
        long n = dst.Length, rows = src.Length / n;
        for (long j = index; j < n; j += stride)
        {
            float sum = 0f;
            for (long r = 0; r < rows; r++)
            {
                sum += src[(r * n) + j];
            }

            dst[j] += sum;
        }
    }

    /// <summary>dx[i] += dy[i / cols] * scale.</summary>
    public static void BroadcastRows(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int cols, float scale, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            dx[i] += dy[i / cols] * scale;
        }
    }
}
