using Amp;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// Device capabilities and the plan: a compiled plan's precisions never change; a product format the device lacks runs
/// emulated and is said once per device through the notice channel; one it cannot run is refused at Compile.
/// </summary>
public sealed class CapabilityTests
{
    [Fact]
    public void Cpu_runs_fp32_natively_and_emulates_the_rest()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        DeviceCapabilities c = device.Capabilities;
        Assert.Equal(GemmPath.CpuPacked, c.GemmPath);
        Assert.True(c.IsNative(ComputeFormat.Fp32));
        Assert.All(new[] { ComputeFormat.Tf32, ComputeFormat.Bf16, ComputeFormat.Fp16 }, f =>
        {
            Assert.False(c.IsNative(f));
            Assert.True(c.CanRun(f));
        });
        Assert.Equal(new[] { Precision.Fp32, Precision.Bf16, Precision.Fp16 }.Order(), c.NativeStorage.Order());
    }

    [Fact]
    public void Emulated_formats_are_said_once_per_device_and_format()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        device.CapabilitiesOverride = PreAmpere(device);
        var notices = new List<DeviceNotice>();
        device.Notice += (_, n) => notices.Add(n);

        using (new ClassifierFp32().Compile(device))
        {
            Assert.Empty(notices);   // FP32 products: native everywhere
        }

        using (new Classifier().Compile(device))
        using (new Classifier().Compile(device))
        {
            DeviceNotice notice = Assert.Single(notices);
            Assert.Equal(DeviceNoticeKind.EmulatedPrecision, notice.Kind);
            Assert.Equal("Classifier", notice.Source);
            Assert.Contains("BF16 products run emulated", notice.Message);
            Assert.Contains("GEMM CuBlas", notice.Message);
        }

        using (new ClassifierFp16().Compile(device))
        {
            Assert.Single(notices);   // FP16 tensor cores from sm_70: native
        }

        using (new ClassifierTf32().Compile(device))
        {
            Assert.Equal(2, notices.Count);
            Assert.Contains("TF32 products run emulated", notices[1].Message);
        }

        Assert.Equal(2, device.NoticeCounts[DeviceNoticeKind.EmulatedPrecision]);
    }

    [Fact]
    public void A_format_the_device_cannot_run_is_refused_at_compile()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        device.CapabilitiesOverride = device.Capabilities with
        {
            Device = "a device without BF16",
            EmulatedCompute = new HashSet<ComputeFormat> { ComputeFormat.Fp16 },
            Detail = "no BF16 conversion",
        };
        var error = Assert.Throws<NotSupportedException>(() => new Classifier().Compile(device));
        Assert.Contains("Classifier computes BF16 products", error.Message);
        Assert.Contains("a device without BF16", error.Message);
        Assert.Equal(0, device.AllocatedBytes);   // nothing was allocated for the refused model
        using ICompiledModel fp32 = new ClassifierFp32().Compile(device);
    }

    [Fact]
    public void Cuda_capabilities_follow_the_compute_capability()
    {
        DeviceCapabilities volta = DeviceCapabilities.Cuda("V100", GemmPath.CuBlas, ILGPU.Runtime.Cuda.CudaArchitecture.SM_70);
        Assert.True(volta.IsNative(ComputeFormat.Fp16));
        Assert.False(volta.IsNative(ComputeFormat.Bf16));
        Assert.False(volta.IsNative(ComputeFormat.Tf32));
        Assert.True(volta.CanRun(ComputeFormat.Bf16));

        DeviceCapabilities ampere = DeviceCapabilities.Cuda("A100", GemmPath.CuBlas, ILGPU.Runtime.Cuda.CudaArchitecture.SM_80);
        Assert.All(Enum.GetValues<ComputeFormat>(), f => Assert.True(ampere.IsNative(f)));

        // Amp's own mma kernels (no cuBLAS) cover BF16/FP16 (m16n8k16) and TF32 (m16n8k8) from sm_80.
        DeviceCapabilities kernel = DeviceCapabilities.Cuda("A100", GemmPath.IlgpuTensorCore, ILGPU.Runtime.Cuda.CudaArchitecture.SM_80);
        Assert.All(Enum.GetValues<ComputeFormat>(), f => Assert.True(kernel.IsNative(f)));

        // Without tensor cores everything but FP32 runs on the SIMT kernel.
        DeviceCapabilities simt = DeviceCapabilities.Cuda("P100", GemmPath.IlgpuSimt, ILGPU.Runtime.Cuda.CudaArchitecture.SM_60);
        Assert.Equal(new[] { ComputeFormat.Fp32 }, simt.NativeCompute);
        Assert.All(new[] { ComputeFormat.Tf32, ComputeFormat.Bf16, ComputeFormat.Fp16 }, f => Assert.True(simt.CanRun(f)));
    }

    private static DeviceCapabilities PreAmpere(AmpDevice device) =>
        DeviceCapabilities.Cuda("a Volta GPU (fake)", GemmPath.CuBlas, ILGPU.Runtime.Cuda.CudaArchitecture.SM_70) with { Device = device.Description };
}
