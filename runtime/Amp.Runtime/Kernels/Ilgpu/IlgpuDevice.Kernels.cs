using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// What the ILGPU launches of every op share (Kernels/Ops/*/IlgpuDevice.*.cs): thread counts, the launch over a
// pair of storage precisions, and the FP32 views backward kernels read. Saved activations stored in BF16/FP16 are
// widened into an FP32 temporary (Fp32Copy) before an FP32 backward kernel reads them: one extra pass, and one
// kernel per op instead of one per storage combination.
internal sealed partial class IlgpuDevice
{
    private MemoryBuffer1D<float, Stride1D.Dense>? emptyFloats;
    private MemoryBuffer1D<int, Stride1D.Dense>? foundFlag;

    private ArrayView<float> EmptyFloats => (emptyFloats ??= Accelerator.Allocate1D<float>(1)).View;

    private int Threads(long work) => (int)Math.Max(1, Math.Min(work, LaunchThreads));

    /// <summary>After a launch: wait for it, unless kernels run in stream order (<see cref="AmpDevice.StreamOrdered"/>).</summary>
    internal void Launched()
    {
        if (!StreamOrdered)
        {
            Accelerator.Synchronize();
        }
    }

    private interface ILaunch2
    {
        void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>;
    }

    private void Dispatch2<TLaunch>(DeviceTensor input, DeviceTensor output, TLaunch launch)
        where TLaunch : struct, ILaunch2
    {
        var i = (IlgpuTensor)input;
        var o = (IlgpuTensor)output;
        switch (input.Precision)
        {
            case Precision.Fp32: Output<float, Fp32Storage>(); break;
            case Precision.Bf16: Output<ushort, Bf16Storage>(); break;
            default: Output<KernelHalf, Fp16Storage>(); break;
        }

        Launched();

        void Output<TI, SI>()
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
        {
            switch (output.Precision)
            {
                case Precision.Fp32: launch.Run<TI, SI, float, Fp32Storage>(i, o); break;
                case Precision.Bf16: launch.Run<TI, SI, ushort, Bf16Storage>(i, o); break;
                default: launch.Run<TI, SI, KernelHalf, Fp16Storage>(i, o); break;
            }
        }
    }

    private static ArrayView<float> F(DeviceTensor tensor) => ((IlgpuTensor)tensor).View<float>();

    /// <summary>
    /// An FP32 view of a tensor: the tensor itself, or a widened temporary copy disposed with this. With
    /// <c>writeBack</c> (a low-precision gradient an FP32 kernel accumulates into) the copy is rounded back into the
    /// tensor on Dispose: one rounding for the kernel's whole contribution, as on Cpu.
    /// </summary>
    private readonly struct Fp32Copy : IDisposable
    {
        private readonly IlgpuDevice? device;
        private readonly DeviceTensor? tensor;
        private readonly DeviceTensor? temporary;

        public Fp32Copy(IlgpuDevice device, DeviceTensor? tensor, bool writeBack = false)
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
                if (writeBack)
                {
                    this.device = device;
                    this.tensor = tensor;
                }
            }

            View = ((IlgpuTensor)(temporary ?? tensor)).View<float>();
        }

        public ArrayView<float> View { get; }

        public void Dispose()
        {
            if (device is not null && tensor is not null && temporary is not null)
            {
                device.Cast(temporary, tensor.Reshape(tensor.Length));
            }

            temporary?.Dispose();
        }
    }
}
