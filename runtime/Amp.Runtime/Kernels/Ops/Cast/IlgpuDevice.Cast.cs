using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Casts between storage precisions (round to nearest even).
internal sealed partial class IlgpuDevice
{
    // ---- Casts and row kernels: two storage types each ----
    private protected override void CastCore(DeviceTensor source, DeviceTensor destination) =>
        Dispatch2(source, destination, new CastLaunch(this, Threads(source.Length)));

    private readonly record struct CastLaunch(IlgpuDevice Device, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"cast/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, SI, SO>(IlgpuKernels.Cast<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Threads, default, default);
        }
    }
}

internal static partial class IlgpuKernels
{
    public static void Cast<TI, SI, TO, SO>(Index1D index, ArrayView<TI> source, ArrayView<TO> destination, int stride, SI si, SO so)
        where TI : unmanaged where SI : struct, IKernelStorage<TI>
        where TO : unmanaged where SO : struct, IKernelStorage<TO>
    {
        for (long i = index; i < source.Length; i += stride)
        {
            destination[i] = so.FromFloat(si.ToFloat(source[i]));
        }
    }
}
