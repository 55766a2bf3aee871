using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// Every fused-chain kernel a generated model carries (forward and backward) compiles to PTX for sm_80 without a
/// GPU, with no FP64 instruction and with BF16/FP16 loads and stores in their 16-bit types.
/// </summary>
public sealed class GeneratedPtxTests
{
    public static TheoryData<Type> Models => new() { typeof(Classifier.Compiled), typeof(ClassifierFp16.Compiled), typeof(TinyGpt.Compiled), typeof(EveryOp.Compiled) };

    [Theory]
    [MemberData(nameof(Models))]
    public void Chain_kernels_compile_to_fp32_only_ptx(Type compiled)
    {
        MethodInfo[] kernels = compiled.GetNestedTypes(BindingFlags.NonPublic)
            .Select(t => t.GetMethod("Kernel", BindingFlags.Public | BindingFlags.Static))
            .OfType<MethodInfo>()
            .ToArray();
        Assert.NotEmpty(kernels);
        using Context context = Context.Create(builder => builder.Cuda().Math(MathMode.Default).EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_70, null!);
        foreach (MethodInfo kernel in kernels)
        {
            string ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernel), default(KernelSpecialization))).PTXAssembly;
            string[] fp64 = ptx.Split('\n').Where(l => l.Contains(".f64", StringComparison.Ordinal)).Take(3).ToArray();
            Assert.True(fp64.Length == 0, $"{compiled.DeclaringType!.Name}.{kernel.DeclaringType!.Name}.Kernel has FP64:\n{string.Join("\n", fp64)}");
            if (kernel.GetParameters().Any(p => p.ParameterType == typeof(ArrayView<ushort>)))
            {
                Assert.Contains(".u16", ptx);
            }
        }
    }
}
