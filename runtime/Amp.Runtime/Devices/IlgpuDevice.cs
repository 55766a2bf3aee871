using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Amp;

/// <summary>
/// A device backed by an ILGPU accelerator: the CPU simulator (<see cref="DeviceKind.IlgpuCpu"/>, for checking
/// kernels) or a CUDA GPU. Kernels are loaded on first use and cached per device.
/// </summary>
internal sealed partial class IlgpuDevice : AmpDevice
{
    private static readonly Lazy<bool> CudaPresent = new(ProbeCuda);
    private readonly Context context;
    private readonly ConcurrentDictionary<string, Delegate> kernels = new();

    private IlgpuDevice(DeviceKind kind, Context context, Accelerator accelerator)
    {
        Kind = kind;
        this.context = context;
        Accelerator = accelerator;
    }

    public override DeviceKind Kind { get; }

    public Accelerator Accelerator { get; }

    public override GemmPath GemmPath => cuBlas is not null ? GemmPath.CuBlas : tensorCores ? GemmPath.IlgpuTensorCore : GemmPath.IlgpuSimt;

    private protected override DeviceCapabilities CapabilitiesCore => Kind == DeviceKind.Cuda
        ? DeviceCapabilities.Cuda(Description, GemmPath, ((ILGPU.Runtime.Cuda.CudaAccelerator)Accelerator).Architecture)
        : DeviceCapabilities.Simulator(Description);

    public override string Description => Kind == DeviceKind.Cuda
        ? $"Cuda: {Accelerator.Name}, {Accelerator.NumMultiprocessors} SMs, {Accelerator.MemorySize / (1 << 20)} MiB, GEMM {GemmPathText}"
        : $"IlgpuCpu: ILGPU CPU simulator ({Accelerator.MaxNumThreads} kernel threads), for checking kernels, not for speed";

    /// <summary>The thread count elementwise launches use; kernels loop over the rest (grid stride).</summary>
    internal int LaunchThreads => Accelerator.MaxNumThreads;

    public static bool IsCudaPresent() => CudaPresent.Value;

    public static IlgpuDevice CreateSimulator()
    {
        // 4 threads per warp x 4 warps x 1 multiprocessor: small groups keep the simulator's OS threads few.
        Context context = Context.Create(builder => builder.CPU(new CPUDevice(4, 4, 1)).Math(MathMode.Default).EnableAlgorithms());
        return new IlgpuDevice(DeviceKind.IlgpuCpu, context, context.CreateCPUAccelerator(0));
    }

    public static IlgpuDevice CreateCuda()
    {
        Context? context = null;
        try
        {
            // EnableAlgorithms: the PTX backend has no intrinsic for MathF.Exp/Log without it (the PTX tests check).
            context = Context.Create(builder => builder.Cuda().Math(MathMode.Default).EnableAlgorithms());
            if (context.GetCudaDevices().Count == 0)
            {
                throw new AmpDeviceUnavailableException(
                    "Cuda was requested but no CUDA device was found (no NVIDIA driver or GPU visible). " +
                    "Use DeviceKind.Cpu, or set AMP_DEVICE=cpu.");
            }

            var device = new IlgpuDevice(DeviceKind.Cuda, context, context.CreateCudaAccelerator(0));
            device.ChooseGemmPaths();
            return device;
        }
        catch (Exception ex) when (ex is not AmpDeviceUnavailableException)
        {
            context?.Dispose();
            throw new AmpDeviceUnavailableException(
                $"Cuda was requested but the CUDA runtime could not start: {ex.Message} Use DeviceKind.Cpu, or set AMP_DEVICE=cpu.", ex);
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    private static bool ProbeCuda()
    {
        try
        {
            using Context context = Context.Create(builder => builder.Cuda());
            return context.GetCudaDevices().Count > 0;
        }
        catch (Exception)
        {
            // No driver library, or a driver that fails to load: there is no usable GPU.
            return false;
        }
    }

    protected override DeviceTensor AllocateCore(Precision precision, TensorShape shape) => new IlgpuTensor(this, precision, shape);

    /// <summary>Loads a kernel once per device; <paramref name="key"/> names the instantiation.</summary>
    internal TDelegate Kernel<TDelegate>(string key, Func<Accelerator, TDelegate> load)
        where TDelegate : Delegate => (TDelegate)kernels.GetOrAdd(key, _ => load(Accelerator));

    protected override void DisposeCore()
    {
        cuBlas?.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }
}
