using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// GEMM: the validated entry point, the Cpu dispatch by storage precision and the ILGPU SIMT kernel (the packed Cpu GEMM, the tensor-core kernel and cuBLAS have files of their own).
internal sealed partial class IlgpuDevice
{
    // ---- GEMM: three storage types, dispatched one operand at a time ----
    private protected override void GemmCore(GemmProblem p, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        if (TryFastGemm(p, a, b, c, options))
        {
            return;
        }

        SimtGemm(p, a, b, c, options);
    }

    private void SimtGemm(GemmProblem p, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        GemmKernelArgs args = Args(p, options);

        // The kernel reads the bias as FP32; other storages are widened once for this call.
        using Fp32Copy bias = new(this, options.Bias);
        var call = new GemmCall(this, new Index3D(p.N, p.M, p.Batch), args, bias.View);
        switch (a.Precision)
        {
            case Precision.Fp32: call.WithA<float, Fp32Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
            case Precision.Bf16: call.WithA<ushort, Bf16Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
            default: call.WithA<KernelHalf, Fp16Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
        }

        Launched();
    }

    private readonly record struct GemmCall(IlgpuDevice Device, Index3D Extent, GemmKernelArgs Args, ArrayView<float> Bias)
    {
        public void WithA<TA, SA>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
        {
            switch (b.Precision)
            {
                case Precision.Fp32: WithB<TA, SA, float, Fp32Storage>(a, b, c); break;
                case Precision.Bf16: WithB<TA, SA, ushort, Bf16Storage>(a, b, c); break;
                default: WithB<TA, SA, KernelHalf, Fp16Storage>(a, b, c); break;
            }
        }

        private void WithB<TA, SA, TB, SB>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
            where TB : unmanaged where SB : struct, IKernelStorage<TB>
        {
            switch (c.Precision)
            {
                case Precision.Fp32: Launch<TA, SA, TB, SB, float, Fp32Storage>(a, b, c); break;
                case Precision.Bf16: Launch<TA, SA, TB, SB, ushort, Bf16Storage>(a, b, c); break;
                default: Launch<TA, SA, TB, SB, KernelHalf, Fp16Storage>(a, b, c); break;
            }
        }

        private void Launch<TA, SA, TB, SB, TC, SC>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
            where TB : unmanaged where SB : struct, IKernelStorage<TB>
            where TC : unmanaged where SC : struct, IKernelStorage<TC>
        {
            var kernel = Device.Kernel(
                $"gemm/{typeof(SA).Name}/{typeof(SB).Name}/{typeof(SC).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index3D, ArrayView<TA>, ArrayView<TB>, ArrayView<TC>, ArrayView<float>, GemmKernelArgs, SA, SB, SC>(
                    IlgpuKernels.Gemm<TA, SA, TB, SB, TC, SC>));
            kernel(Extent, a.View<TA>(), b.View<TB>(), c.View<TC>(), Bias, Args, default, default, default);
        }
    }
}

internal static partial class IlgpuKernels
{
    /// <summary>C[b, i, j] = alpha * sum_k op(A)[i, k] op(B)[k, j] + beta * C + bias[j]; FP32 accumulation; one thread per output.</summary>
    public static void Gemm<TA, SA, TB, SB, TC, SC>(
        Index3D index, ArrayView<TA> a, ArrayView<TB> b, ArrayView<TC> c, ArrayView<float> bias, GemmKernelArgs p, SA sa, SB sb, SC sc)
        where TA : unmanaged where SA : struct, IKernelStorage<TA>
        where TB : unmanaged where SB : struct, IKernelStorage<TB>
        where TC : unmanaged where SC : struct, IKernelStorage<TC>
    {
        int j = index.X, i = index.Y, batch = index.Z;
        long aBase = batch * p.StrideA, bBase = batch * p.StrideB;
        float acc = 0f;
        for (int k = 0; k < p.K; k++)
        {
            long ai = aBase + (p.TransposeA != 0 ? ((long)k * p.Lda) + i : ((long)i * p.Lda) + k);
            long bi = bBase + (p.TransposeB != 0 ? ((long)j * p.Ldb) + k : ((long)k * p.Ldb) + j);
            acc += Operand(sa.ToFloat(a[ai]), p.Tf32) * Operand(sb.ToFloat(b[bi]), p.Tf32);
        }

        long ci = (batch * p.StrideC) + ((long)i * p.Ldc) + j;
        float result = p.Alpha * acc;
        if (p.Beta != 0f)
        {
            result += p.Beta * sc.ToFloat(c[ci]);
        }

        if (p.HasBias != 0)
        {
            result += bias[j];
        }

        c[ci] = sc.FromFloat(result);
    }

    /// <summary>An operand as the product reads it: rounded to TF32 when asked (the identity on values read from BF16 or FP16), else as loaded.</summary>
    public static float Operand(float value, int tf32) => tf32 != 0 ? Interop.IntAsFloat(Tf32.RoundBits(Interop.FloatAsInt(value))) : value;
}
