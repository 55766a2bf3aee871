using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// CausalMask: -inf above the diagonal, and its backward (zero gradient where masked).
internal sealed partial class IlgpuDevice
{
    private protected override void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("causalmaskbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.CausalMaskBackward))(
            threads, gy.View, gx.View, dx.Shape.Columns, threads);
        Launched();
    }

    private protected override void CausalMaskCore(DeviceTensor x, DeviceTensor y) =>
        Dispatch2(x, y, new CausalMaskLaunch(this, x.Shape.Columns, Threads(y.Length)));

    private readonly record struct CausalMaskLaunch(IlgpuDevice Device, int Positions, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"causalmask/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, int, SI, SO>(IlgpuModelKernels.CausalMask<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Positions, Threads, default, default);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    public static void CausalMaskBackward(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int t, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            long column = i % t, position = (i / t) % t;
            if (column <= position)
            {
                dx[i] += dy[i];
            }
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>Scores [.., T, T]: columns after the row's position become -infinity.</summary>
    public static void CausalMask<TX, SX, TY, SY>(Index1D index, ArrayView<TX> x, ArrayView<TY> y, int t, int stride, SX sx, SY sy)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long column = i % t, position = (i / t) % t;
            y[i] = sy.FromFloat(column > position ? float.NegativeInfinity : sx.ToFloat(x[i]));
        }
    }
}
