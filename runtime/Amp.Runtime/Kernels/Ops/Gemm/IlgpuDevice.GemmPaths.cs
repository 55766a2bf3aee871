using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using KernelHalf = ILGPU.Half;

namespace Amp;

// The Cuda GEMM paths, picked when the device starts: cuBLAS where the library loads, else the tensor-core kernel
// on sm_80 and newer, else SIMT. Each fast path is checked once against SIMT on a small problem with edge tiles
// before it is used; one that disagrees is turned off and the description says why. AMP_GEMM=simt|tensorcore|cublas
// restricts the choice (for measuring one path).
internal sealed partial class IlgpuDevice
{
    private CuBlas? cuBlas;
    private bool tensorCores;
    private string gemmNote = string.Empty;

    private string GemmPathText => (GemmPath switch
    {
        GemmPath.CuBlas => $"cuBLAS ({cuBlas!.Path}) for uniform operands, ILGPU for mixed",
        GemmPath.IlgpuTensorCore => "ILGPU tensor cores (mma.sync) for BF16/FP16 and TF32, SIMT otherwise",
        _ => "ILGPU SIMT",
    }) + gemmNote;

    private void ChooseGemmPaths()
    {
        string only = (Environment.GetEnvironmentVariable("AMP_GEMM") ?? string.Empty).ToLowerInvariant();
        var architecture = ((CudaAccelerator)Accelerator).Architecture;
        bool sm80 = architecture is { } arch && arch >= CudaArchitecture.SM_80;
        tensorCores = sm80 && only is "" or "tensorcore";
        if (!sm80)
        {
            gemmNote += $"; no tensor-core kernel below sm_80 ({architecture})";
        }

        if (only is "" or "cublas")
        {
            cuBlas = CuBlas.TryLoad(out string reason);
            if (cuBlas is null)
            {
                gemmNote += $"; {reason}";
            }
        }

        if (cuBlas is not null && !AgreesWithSimt())
        {
            cuBlas.Dispose();
            cuBlas = null;
            gemmNote += "; cuBLAS disagreed with SIMT on the start-up check and is off";
        }

        if (tensorCores && !AgreesWithSimt())
        {
            tensorCores = false;
            gemmNote += "; the tensor-core kernel disagreed with SIMT on the start-up check and is off";
        }
    }

    /// <summary>BF16, FP16 and TF32 products of 80 x 72 x 40 (edge tiles, a transposed B) on the current fast path against SIMT.</summary>
    private bool AgreesWithSimt()
    {
        foreach (Precision precision in new[] { Precision.Bf16, Precision.Fp16, Precision.Fp32 })
        {
            var random = new Random(7);
            float[] a = Enumerable.Range(0, 80 * 40).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            float[] b = Enumerable.Range(0, 72 * 40).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            using DeviceTensor ta = FromHost(a, precision, 80, 40), tb = FromHost(b, precision, 72, 40);
            using DeviceTensor fast = Allocate(Precision.Fp32, 80, 72), simt = Allocate(Precision.Fp32, 80, 72);
            // FP32 operands are checked under TF32: the fast paths and SIMT then multiply the same rounded values.
            var options = new GemmOptions { TransposeB = true, Tf32 = precision == Precision.Fp32 };
            Gemm(ta, tb, fast, options);
            SimtGemm(GemmProblem.Validate(this, ta, tb, simt, options), ta, tb, simt, options);
            float[] x = fast.ToArray(), y = simt.ToArray();
            // Both accumulate the same 40 exact products in FP32, in different orders. Under TF32 cuBLAS converts the
            // operands its own way (not necessarily cvt.rna), so its products may differ by TF32's 2u each (|a|, |b| < 1).
            float tolerance = precision == Precision.Fp32 ? 1e-4f + (40 * 2f / 2048) : 1e-4f;
            for (int i = 0; i < x.Length; i++)
            {
                if (!(Math.Abs(x[i] - y[i]) <= tolerance))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool TryFastGemm(GemmProblem p, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        bool sixteen = a.Precision == b.Precision && a.Precision != Precision.Fp32;
        if (cuBlas is not null && a.Precision == b.Precision)
        {
            CuBlasGemm(p, (IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c, options);
            return true;
        }

        if (tensorCores && sixteen)
        {
            TensorCore(p, (IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c, options);
            return true;
        }

        if (tensorCores && p.Tf32 && a.Precision == Precision.Fp32 && b.Precision == Precision.Fp32)
        {
            TensorCore(p, (IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c, options);
            return true;
        }

        return false;
    }

    /// <summary>The tensor-core kernels: m16n8k16 for BF16/FP16 operands, m16n8k8.tf32 for FP32 operands under TF32; C in any precision.</summary>
    private void TensorCore(GemmProblem p, IlgpuTensor a, IlgpuTensor b, IlgpuTensor c, GemmOptions options)
    {
        using Fp32Copy bias = new(this, options.Bias);
        GemmKernelArgs args = Args(p, options);
        bool tf32 = a.Precision == Precision.Fp32;
        int isBf16 = a.Precision == Precision.Bf16 ? 1 : 0;
        KernelConfig config = TensorCoreGemm.Config(p.M, p.N, p.Batch);
        switch (c.Precision)
        {
            case Precision.Fp32: Launch<float, Fp32Storage>(); break;
            case Precision.Bf16: Launch<ushort, Bf16Storage>(); break;
            default: Launch<KernelHalf, Fp16Storage>(); break;
        }

        Launched();

        void Launch<TC, SC>()
            where TC : unmanaged where SC : struct, IKernelStorage<TC>
        {
            if (tf32)
            {
                var kernel = Kernel(
                    $"tensorcore-tf32/{typeof(SC).Name}",
                    acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<TC>, ArrayView<float>, GemmKernelArgs, SC>(TensorCoreGemmTf32.Kernel<TC, SC>));
                kernel(config, a.View<float>(), b.View<float>(), c.View<TC>(), bias.View, args, default);
                return;
            }

            var sixteen = Kernel(
                $"tensorcore/{typeof(SC).Name}",
                acc => acc.LoadStreamKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<TC>, ArrayView<float>, GemmKernelArgs, int, SC>(TensorCoreGemm.Kernel<TC, SC>));
            sixteen(config, a.Bits16(), b.Bits16(), c.View<TC>(), bias.View, args, isBf16, default);
        }
    }

    /// <summary>
    /// cuBLAS writes FP32. With an FP32 C and no bias it writes C itself; otherwise an FP32 temporary, and one
    /// epilogue pass adds the bias and beta * C and rounds once into C's storage.
    /// </summary>
    private void CuBlasGemm(GemmProblem p, IlgpuTensor a, IlgpuTensor b, IlgpuTensor c, GemmOptions options)
    {
        // cuBLAS runs on its own (default) stream, not ILGPU's: the two are ordered by waiting, in stream order too.
        Accelerator.Synchronize();
        int type = a.Precision switch { Precision.Bf16 => CuBlas.R16BF, Precision.Fp16 => CuBlas.R16F, _ => CuBlas.R32F };
        if (c.Precision == Precision.Fp32 && options.Bias is null)
        {
            cuBlas!.Gemm(p, a.Buffer.NativePtr, type, b.Buffer.NativePtr, type, c.Buffer.NativePtr, CuBlas.R32F, p.Beta);
            Accelerator.Synchronize();
            return;
        }

        using DeviceTensor temporary = Allocate(Precision.Fp32, p.Batch, p.M, p.N);
        GemmProblem dense = p with { Ldc = p.N, StrideC = (long)p.M * p.N };
        cuBlas!.Gemm(dense, a.Buffer.NativePtr, type, b.Buffer.NativePtr, type, ((IlgpuTensor)temporary).Buffer.NativePtr, CuBlas.R32F, 0f);
        Accelerator.Synchronize();
        using Fp32Copy bias = new(this, options.Bias);
        GemmKernelArgs args = Args(p, options);
        int threads = Threads(temporary.Length);
        switch (c.Precision)
        {
            case Precision.Fp32: Epilogue<float, Fp32Storage>(); break;
            case Precision.Bf16: Epilogue<ushort, Bf16Storage>(); break;
            default: Epilogue<KernelHalf, Fp16Storage>(); break;
        }

        Launched();

        void Epilogue<TC, SC>()
            where TC : unmanaged where SC : struct, IKernelStorage<TC>
        {
            var kernel = Kernel(
                $"gemmepilogue/{typeof(SC).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<TC>, ArrayView<float>, GemmKernelArgs, int, SC>(GemmEpilogue<TC, SC>));
            kernel(threads, ((IlgpuTensor)temporary).View<float>(), c.View<TC>(), bias.View, args, threads, default);
        }
    }

    /// <summary>c[b, i, j] = round(product[b, i, j] + bias[j] + beta * c[b, i, j]), product dense [batch, M, N].</summary>
    private static void GemmEpilogue<TC, SC>(Index1D index, ArrayView<float> product, ArrayView<TC> c, ArrayView<float> bias, GemmKernelArgs p, int stride, SC sc)
        where TC : unmanaged where SC : struct, IKernelStorage<TC>
    {
        for (long e = index; e < product.Length; e += stride)
        {
            long j = e % p.N, rest = e / p.N, i = rest % p.M, batch = rest / p.M;
            long at = (batch * p.StrideC) + (i * p.Ldc) + j;
            float value = product[e] + (p.HasBias != 0 ? bias[j] : 0f);
            c[at] = sc.FromFloat(p.Beta != 0f ? value + (p.Beta * sc.ToFloat(c[at])) : value);
        }
    }

    private static GemmKernelArgs Args(GemmProblem p, GemmOptions options) => new()
    {
        M = p.M, N = p.N, K = p.K, Lda = p.Lda, Ldb = p.Ldb, Ldc = p.Ldc,
        StrideA = p.StrideA, StrideB = p.StrideB, StrideC = p.StrideC,
        TransposeA = p.TransposeA ? 1 : 0, TransposeB = p.TransposeB ? 1 : 0,
        Alpha = p.Alpha, Beta = p.Beta, HasBias = options.Bias is null ? 0 : 1, Tf32 = p.Tf32 ? 1 : 0,
    };
}
