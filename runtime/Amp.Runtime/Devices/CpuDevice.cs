using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>The host device: vectorised (Vector256 FMA micro-kernels), multithreaded, no ILGPU involved.</summary>
internal sealed partial class CpuDevice : AmpDevice
{
    public override DeviceKind Kind => DeviceKind.Cpu;

    public override GemmPath GemmPath => GemmPath.CpuPacked;

    private protected override DeviceCapabilities CapabilitiesCore => DeviceCapabilities.Cpu(Description);

    public override string Description => CpuGemmMicroKernel512.Enabled
        ? $"Cpu: {Environment.ProcessorCount} threads, {SimdDescription()}, GEMM {CpuGemmMicroKernel512.Mr}x{CpuGemmMicroKernel512.Nr} packed 512-bit FMA micro-kernel"
        : $"Cpu: {Environment.ProcessorCount} threads, {SimdDescription()}, GEMM {CpuGemmMicroKernel.Mr}x{CpuGemmMicroKernel.Nr} packed FMA micro-kernel";

    private static string SimdDescription() =>
        Vector512.IsHardwareAccelerated ? (CpuGemmMicroKernel512.Enabled ? "AVX-512" : "AVX-512 (GEMM 256-bit: AMP_CPU_AVX512=0)")
        : Vector256.IsHardwareAccelerated ? (System.Runtime.Intrinsics.X86.Fma.IsSupported ? "AVX2+FMA" : "256-bit SIMD")
        : "no 256-bit SIMD (emulated vectors)";

    protected override DeviceTensor AllocateCore(Precision precision, TensorShape shape) => new CpuTensor(this, precision, shape);

    private static int live;

    /// <summary>Cpu devices alive now (tests check that the last one frees the shared workspaces).</summary>
    internal static int LiveCount => Volatile.Read(ref live);

    /// <summary>Counts the Cpu devices alive: the per-thread GEMM workspaces they share are freed with the last.</summary>
    public CpuDevice() => Interlocked.Increment(ref live);

    protected override void DisposeCore()
    {
        // Host arrays belong to the GC; the per-thread GEMM workspaces are shared by all Cpu devices and freed when
        // the last one goes (no GEMM can be running then: every kernel checks that its device is alive).
        if (Interlocked.Decrement(ref live) == 0)
        {
            CpuGemm.ReleaseWorkspaces();
        }
    }
}
