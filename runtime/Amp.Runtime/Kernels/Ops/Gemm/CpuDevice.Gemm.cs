namespace Amp;

// GEMM: the validated entry point, the Cpu dispatch by storage precision and the ILGPU SIMT kernel (the packed Cpu GEMM, the tensor-core kernel and cuBLAS have files of their own).
internal sealed partial class CpuDevice
{
    private protected override void GemmCore(GemmProblem problem, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        float[]? bias = options.Bias?.ToArray();
        var ca = (CpuTensor)a;
        switch (ca.Precision)
        {
            case Precision.Fp32: GemmB(problem, ca.As<float>(), (CpuTensor)b, (CpuTensor)c, bias); break;
            case Precision.Bf16: GemmB(problem, ca.As<Bf16>(), (CpuTensor)b, (CpuTensor)c, bias); break;
            default: GemmB(problem, ca.As<Half>(), (CpuTensor)b, (CpuTensor)c, bias); break;
        }
    }

    private static void GemmB<TA>(in GemmProblem p, TA[] a, CpuTensor b, CpuTensor c, float[]? bias)
        where TA : unmanaged
    {
        switch (b.Precision)
        {
            case Precision.Fp32: Dense(p, a, b.As<float>(), c, bias); break;
            case Precision.Bf16: Dense(p, a, b.As<Bf16>(), c, bias); break;
            default: Dense(p, a, b.As<Half>(), c, bias); break;
        }
    }

    private static unsafe void Dense<TA, TB>(in GemmProblem p, TA[] a, TB[] b, CpuTensor c, float[]? bias)
        where TA : unmanaged
        where TB : unmanaged
    {
        fixed (TB* pb = b)
        {
            GemmC(p, a, new CpuGemm.DenseB<TB>(pb, p.Ldb, p.TransposeB, p.StrideB), c, bias);
        }
    }

    /// <summary>The GEMM by C's storage, with op(B) from any source (a stored matrix, or the convolution's implicit columns).</summary>
    private static void GemmC<TA, TSource>(in GemmProblem p, TA[] a, TSource source, CpuTensor c, float[]? bias)
        where TA : unmanaged
        where TSource : struct, IPackedB
    {
        switch (c.Precision)
        {
            case Precision.Fp32: CpuGemm.Run(p, a, source, c.As<float>(), bias); break;
            case Precision.Bf16: CpuGemm.Run(p, a, source, c.As<Bf16>(), bias); break;
            default: CpuGemm.Run(p, a, source, c.As<Half>(), bias); break;
        }
    }
}
