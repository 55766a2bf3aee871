using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

internal sealed partial class IlgpuDevice
{
    private protected override void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        using Fp32Copy w = new(this, weight), b = new(this, bias);
        ArrayView<float> meanView = mean is null ? EmptyFloats : ((IlgpuTensor)mean).View<float>();
        Dispatch2(x, y, new NormAffineLaunch(this, meanView, ((IlgpuTensor)rstd).View<float>(), w.View, b.View, x.Shape.Columns, mean is null ? 0 : 1, bias is null ? 0 : 1, Threads(y.Length)));
    }

    private protected override void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y) =>
        Dispatch2(table, y, new GatherLaunch(this, ((IlgpuTensor)ids).View<float>(), table.Shape.Columns, Threads(y.Length)));

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

        Accelerator.Synchronize();

        void Swap<T>()
            where T : unmanaged
        {
            var kernel = Kernel(
                $"swapmiddle/{typeof(T).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>(IlgpuModelKernels.SwapMiddle<T>));
            kernel(threads, ix.View<T>(), iy.View<T>(), a, b, inner, threads);
        }
    }

    private protected override void CausalMaskCore(DeviceTensor x, DeviceTensor y) =>
        Dispatch2(x, y, new CausalMaskLaunch(this, x.Shape.Columns, Threads(y.Length)));

    // The ids were range-checked on the host (AmpDevice.HostIds); the kernels read the device copy.
    private protected override void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss)
    {
        int cols = logProbs.Shape.Columns;
        var lp = (IlgpuTensor)logProbs;
        ArrayView<float> labelView = ((IlgpuTensor)labels).View<float>(), lossView = ((IlgpuTensor)loss).View<float>();
        switch (logProbs.Precision)
        {
            case Precision.Fp32: Nll<float, Fp32Storage>(); break;
            case Precision.Bf16: Nll<ushort, Bf16Storage>(); break;
            default: Nll<KernelHalf, Fp16Storage>(); break;
        }

        Accelerator.Synchronize();

        void Nll<T, S>()
            where T : unmanaged where S : struct, IKernelStorage<T>
        {
            var kernel = Kernel(
                $"nll/{typeof(S).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<float>, ArrayView<float>, int, S>(IlgpuModelKernels.NllLoss<T, S>));
            kernel(1, lp.View<T>(), labelView, lossView, cols, default);
        }
    }

    /// <summary>An FP32 view of a weight: the tensor itself, or a widened temporary copy disposed with this.</summary>
    private readonly struct Fp32Copy : IDisposable
    {
        private readonly DeviceTensor? temporary;

        public Fp32Copy(IlgpuDevice device, DeviceTensor? tensor)
        {
            if (tensor is null)
            {
                View = device.EmptyFloats;
                return;
            }

            if (tensor.Precision != Precision.Fp32)
            {
                temporary = device.Allocate(Precision.Fp32, tensor.Length);
                device.Cast(tensor.Reshape(tensor.Length), temporary);
            }

            View = ((IlgpuTensor)(temporary ?? tensor)).View<float>();
        }

        public ArrayView<float> View { get; }

        public void Dispose() => temporary?.Dispose();
    }

    private readonly record struct NormAffineLaunch(
        IlgpuDevice Device, ArrayView<float> Mean, ArrayView<float> Rstd, ArrayView<float> Weight, ArrayView<float> Bias, int Columns, int HasMean, int HasBias, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"normaffine/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<TO>, int, int, int, int, SI, SO>(
                    IlgpuModelKernels.NormAffine<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), Mean, Rstd, Weight, Bias, output.View<TO>(), Columns, HasMean, HasBias, Threads, default, default);
        }
    }

    private readonly record struct GatherLaunch(IlgpuDevice Device, ArrayView<float> Ids, int Columns, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"gather/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<float>, ArrayView<TO>, int, int, SI, SO>(IlgpuModelKernels.Gather<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), Ids, output.View<TO>(), Columns, Threads, default, default);
        }
    }

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
