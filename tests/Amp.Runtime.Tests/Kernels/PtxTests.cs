using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using KernelHalf = ILGPU.Half;

namespace Amp.Tests;

/// <summary>
/// The Cuda kernels compiled to PTX without a GPU (ILGPU's PTX backend), checked for what matters on the device:
/// tensor-core instructions where they belong, no FP64 arithmetic anywhere in the AMP kernels (FP64 runs at 1/64
/// of FP32 on most GPUs), and BF16 rounding done as integer operations.
/// </summary>
public sealed class PtxTests
{
    [Fact]
    public void The_tensor_core_gemm_issues_mma_sync_for_bf16_and_fp16()
    {
        string ptx = Ptx.Compile(Method(nameof(TensorCoreGemm), nameof(TensorCoreGemm.Kernel), typeof(ushort), typeof(Bf16Storage)), explicitlyGrouped: true);
        Assert.Contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", ptx);
        Assert.Contains("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", ptx);
        Assert.Contains(".shared", ptx);
        Ptx.AssertNoFp64(ptx, "TensorCoreGemm.Kernel<ushort, Bf16Storage>");
    }

    [Fact]
    public void The_tf32_tensor_core_gemm_issues_mma_sync_m16n8k8_tf32()
    {
        string ptx = Ptx.Compile(Method(nameof(TensorCoreGemmTf32), nameof(TensorCoreGemmTf32.Kernel), typeof(float), typeof(Fp32Storage)), explicitlyGrouped: true);
        Assert.Contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", ptx);
        Assert.Contains(".shared", ptx);
        Ptx.AssertNoFp64(ptx, "TensorCoreGemmTf32.Kernel<float, Fp32Storage>");
    }

    public static TheoryData<string, string, Type[]> Kernels => new()
    {
        { nameof(IlgpuKernels), "Gemm", [typeof(ushort), typeof(Bf16Storage), typeof(KernelHalf), typeof(Fp16Storage), typeof(float), typeof(Fp32Storage)] },
        { nameof(IlgpuKernels), "Cast", [typeof(float), typeof(Fp32Storage), typeof(ushort), typeof(Bf16Storage)] },
        { nameof(IlgpuKernels), "Softmax", [typeof(ushort), typeof(Bf16Storage), typeof(float), typeof(Fp32Storage)] },
        { nameof(IlgpuKernels), "NormStatistics", [typeof(ushort), typeof(Bf16Storage)] },
        { nameof(IlgpuKernels), "UnscaleAndCheck", [] },
        { nameof(IlgpuKernels), "AdamW", [typeof(ushort), typeof(Bf16Storage)] },
        { nameof(IlgpuBackwardKernels), "NormBackwardWeights", [] },
        { nameof(IlgpuBackwardKernels), "ScatterAddRows", [] },
        { nameof(IlgpuBackwardKernels), "SoftmaxBackward", [] },
        { nameof(IlgpuBackwardKernels), "NormBackwardInput", [] },
        { nameof(IlgpuBackwardKernels), "CrossEntropyBackward", [] },
        { nameof(IlgpuModelKernels), "NormAffine", [typeof(float), typeof(Fp32Storage), typeof(ushort), typeof(Bf16Storage)] },
        { nameof(IlgpuModelKernels), "Pool2d", [typeof(ushort), typeof(Bf16Storage), typeof(ushort), typeof(Bf16Storage)] },
        { nameof(IlgpuModelKernels), "Im2Col", [typeof(KernelHalf), typeof(Fp16Storage), typeof(KernelHalf), typeof(Fp16Storage)] },
        { nameof(IlgpuModelKernels), "AddChannelBias", [] },
        { nameof(IlgpuModelKernels), "Dropout", [] },
        { nameof(IlgpuBackwardKernels), "Pool2dBackward", [] },
        { nameof(IlgpuBackwardKernels), "Col2Im", [] },
        { nameof(IlgpuBackwardKernels), "ChannelSum", [] },
        { nameof(IlgpuKernels), "ChannelStatistics", [] },
        { nameof(IlgpuKernels), "UpdateRunningStatistics", [] },
        { nameof(IlgpuModelKernels), "BatchNorm", [] },
        { nameof(IlgpuBackwardKernels), "BatchNormBackward", [] },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Amp_kernels_have_no_fp64_arithmetic(string type, string name, Type[] arguments)
    {
        MethodInfo method = Method(type, name, arguments);
        string ptx = Ptx.Compile(method, explicitlyGrouped: false);
        Ptx.AssertNoFp64(ptx, $"{type}.{name}");
    }

    [Fact]
    public void Bf16_rounding_is_integer_arithmetic()
    {
        string ptx = Ptx.Compile(Method(nameof(IlgpuKernels), "Cast", typeof(float), typeof(Fp32Storage), typeof(ushort), typeof(Bf16Storage)), explicitlyGrouped: false);
        Assert.True(ptx.Contains("cvt.rn.bf16.f32", StringComparison.Ordinal) || (ptx.Contains("shr.u32", StringComparison.Ordinal) && ptx.Contains("and.b32", StringComparison.Ordinal)),
            "float -> bf16 is neither cvt.rn.bf16.f32 nor integer rounding (shr/and)");
        Ptx.AssertNoFp64(ptx, "Cast<float, bf16>");
    }

    private static MethodInfo Method(string type, string name, params Type[] arguments)
    {
        Type owner = typeof(AmpDevice).Assembly.GetType("Amp." + type, throwOnError: true)!;
        MethodInfo method = owner.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static).First(m => m.Name == name);
        return method.IsGenericMethodDefinition ? method.MakeGenericMethod(arguments) : method;
    }
}

/// <summary>Compiles one kernel to PTX for sm_80 (what ILGPU 1.5.3 emits for an H200) without a GPU.</summary>
internal static class Ptx
{
    public static string Compile(MethodInfo kernel, bool explicitlyGrouped)
    {
        using Context context = Context.Create(builder => builder.Cuda().Math(MathMode.Default).EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_70, null!);
        EntryPointDescription entry = explicitlyGrouped ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel) : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization))).PTXAssembly;
    }

    /// <summary>No instruction with an .f64 type (a double register declaration alone is harmless but is reported too).</summary>
    public static void AssertNoFp64(string ptx, string what)
    {
        string[] lines = ptx.Split('\n').Where(l => l.Contains(".f64", StringComparison.Ordinal)).Take(5).ToArray();
        Assert.True(lines.Length == 0, $"{what} has FP64 in its PTX:\n{string.Join("\n", lines)}");
    }
}

/// <summary>cuBLAS is probed, not required: a missing library is a reason in the device description, never a crash.</summary>
public sealed class CuBlasProbeTests
{
    [Fact]
    public void A_missing_library_gives_a_reason_that_names_it()
    {
        string? before = Environment.GetEnvironmentVariable("AMP_CUBLAS");
        try
        {
            Environment.SetEnvironmentVariable("AMP_CUBLAS", "/nonexistent/libcublas.so.99");
            Assert.Null(CuBlas.TryLoad(out string reason));
            Assert.Contains("/nonexistent/libcublas.so.99", reason);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AMP_CUBLAS", before);
        }
    }
}
