using ILGPU.Runtime.Cuda;

namespace Amp;

/// <summary>The number format a matrix product computes in (its operands; accumulation is FP32 in every case).</summary>
public enum ComputeFormat
{
    /// <summary>FP32 operands.</summary>
    Fp32,

    /// <summary>FP32 operands rounded to TF32 (10 mantissa bits): <c>[Autocast(.., Tf32 = true)]</c>.</summary>
    Tf32,

    /// <summary>BF16 operands.</summary>
    Bf16,

    /// <summary>FP16 operands.</summary>
    Fp16,
}

/// <summary>
/// What a device runs natively and what it emulates. A plan's precisions never change at run time: a product format the
/// device lacks in hardware runs emulated (the same numbers — e.g. BF16 storage with FP32 arithmetic on a pre-Ampere
/// GPU — only slower), said once per device and format through <see cref="AmpDevice.Notice"/>; a format the device can
/// neither run nor emulate is refused when the model is compiled.
/// </summary>
/// <param name="Device">The device in words.</param>
/// <param name="GemmPath">The GEMM implementation in use.</param>
/// <param name="NativeStorage">Storage precisions held and converted in hardware (every device here stores all three).</param>
/// <param name="NativeCompute">Product formats with hardware arithmetic (FMA units or tensor cores).</param>
/// <param name="EmulatedCompute">Product formats run exactly through other arithmetic (converted to FP32, rounded in software).</param>
/// <param name="Detail">Why: the compute capability, the missing library, the simulator.</param>
public sealed record DeviceCapabilities(
    string Device,
    GemmPath GemmPath,
    IReadOnlySet<Precision> NativeStorage,
    IReadOnlySet<ComputeFormat> NativeCompute,
    IReadOnlySet<ComputeFormat> EmulatedCompute,
    string Detail)
{
    private static readonly IReadOnlySet<Precision> AllStorage = new HashSet<Precision> { Precision.Fp32, Precision.Bf16, Precision.Fp16 };

    public bool IsNative(ComputeFormat format) => NativeCompute.Contains(format);

    public bool CanRun(ComputeFormat format) => NativeCompute.Contains(format) || EmulatedCompute.Contains(format);

    /// <summary>Cpu: FP32 FMA in hardware; TF32, BF16 and FP16 products converted to FP32 while packing (exact emulation).</summary>
    internal static DeviceCapabilities Cpu(string device) => new(
        device, GemmPath.CpuPacked, AllStorage,
        new HashSet<ComputeFormat> { ComputeFormat.Fp32 },
        new HashSet<ComputeFormat> { ComputeFormat.Tf32, ComputeFormat.Bf16, ComputeFormat.Fp16 },
        "the Cpu GEMM widens BF16/FP16 to FP32 while packing and rounds TF32 operands in software");

    /// <summary>ILGPU's CPU accelerator: a simulator, everything in FP32 arithmetic.</summary>
    internal static DeviceCapabilities Simulator(string device) => new(
        device, GemmPath.IlgpuSimt, AllStorage,
        new HashSet<ComputeFormat> { ComputeFormat.Fp32 },
        new HashSet<ComputeFormat> { ComputeFormat.Tf32, ComputeFormat.Bf16, ComputeFormat.Fp16 },
        "ILGPU's CPU simulator runs every kernel in FP32 arithmetic");

    /// <summary>
    /// Cuda by compute capability and GEMM path: FP16 tensor cores from sm_70 (cuBLAS; Amp's own mma kernel needs sm_80),
    /// BF16 and TF32 from sm_80 (cuBLAS's TF32 compute type, or Amp's m16n8k8.tf32 kernel); everything else emulated on the
    /// SIMT kernel.
    /// </summary>
    internal static DeviceCapabilities Cuda(string device, GemmPath path, CudaArchitecture? architecture)
    {
        int sm = architecture is not { } a ? 0 : a >= CudaArchitecture.SM_80 ? 80 : a >= CudaArchitecture.SM_70 ? 70 : 60;
        var native = new HashSet<ComputeFormat> { ComputeFormat.Fp32 };
        if (path == GemmPath.CuBlas && sm >= 70 || path == GemmPath.IlgpuTensorCore && sm >= 80)
        {
            native.Add(ComputeFormat.Fp16);
        }

        if (path is GemmPath.CuBlas or GemmPath.IlgpuTensorCore && sm >= 80)
        {
            native.Add(ComputeFormat.Bf16);
        }

        if (path is GemmPath.CuBlas or GemmPath.IlgpuTensorCore && sm >= 80)
        {
            native.Add(ComputeFormat.Tf32);
        }

        var emulated = new HashSet<ComputeFormat>(Enum.GetValues<ComputeFormat>().Where(f => !native.Contains(f)));
        string detail = $"architecture {(architecture is { } known ? known.ToString() : "unknown")}, GEMM {path}" +
            (emulated.Count > 0 ? $"; {string.Join(", ", emulated.Select(f => f.ToString().ToUpperInvariant()))} products on the SIMT kernel (FP32 arithmetic)" : string.Empty);
        return new DeviceCapabilities(device, path, AllStorage, native, emulated, detail);
    }
}

// Capabilities and the check a compiled model makes against them.
public abstract partial class AmpDevice
{
    /// <summary>What this device runs natively and what it emulates (see <see cref="DeviceCapabilities"/>).</summary>
    public DeviceCapabilities Capabilities => CapabilitiesOverride ?? CapabilitiesCore;

    private protected abstract DeviceCapabilities CapabilitiesCore { get; }

    /// <summary>Test hook: a fake capability set (a pre-Ampere GPU, a device that cannot emulate).</summary>
    internal DeviceCapabilities? CapabilitiesOverride { get; set; }

    private readonly HashSet<ComputeFormat> emulationNoticed = [];

    /// <summary>
    /// Called when a model is compiled: every product format of the plan must run here. An emulated one is said once per
    /// device and format (an <see cref="DeviceNoticeKind.EmulatedPrecision"/> notice); one that cannot run is refused.
    /// </summary>
    internal void CheckFormats(ModelPlan plan)
    {
        DeviceCapabilities capabilities = Capabilities;
        foreach (ComputeFormat format in ProductFormats(plan))
        {
            if (capabilities.IsNative(format))
            {
                continue;
            }

            if (!capabilities.CanRun(format))
            {
                throw new NotSupportedException(
                    $"{plan.Model} computes {format.ToString().ToUpperInvariant()} products, which {capabilities.Device} can neither run " +
                    $"nor emulate ({capabilities.Detail}). Compile it in another precision or on another device.");
            }

            bool first;
            lock (emulationNoticed)
            {
                first = emulationNoticed.Add(format);
            }

            if (first)
            {
                Raise(new DeviceNotice(DeviceNoticeKind.EmulatedPrecision, plan.Model,
                    $"{format.ToString().ToUpperInvariant()} products run emulated on this device: the same numbers, without " +
                    $"{format.ToString().ToUpperInvariant()} hardware ({capabilities.Detail})."));
            }
        }
    }

    /// <summary>The formats a plan's matrix products compute in, in a stable order.</summary>
    internal static IEnumerable<ComputeFormat> ProductFormats(ModelPlan plan) =>
        plan.Ops.Where(op => op.Kind is OpKind.Linear or OpKind.MatMul or OpKind.Conv2d or OpKind.Attention)
            .Select(op => op.Tf32 ? ComputeFormat.Tf32 : op.Compute switch
            {
                Precision.Bf16 => ComputeFormat.Bf16,
                Precision.Fp16 => ComputeFormat.Fp16,
                _ => ComputeFormat.Fp32,
            })
            .Distinct()
            .Order();
}
