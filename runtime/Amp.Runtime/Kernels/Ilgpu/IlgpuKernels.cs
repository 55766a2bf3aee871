using ILGPU;

namespace Amp;

/// <summary>GEMM sizes and strides as a kernel argument (a plain struct: ILGPU passes it by value).</summary>
internal struct GemmKernelArgs
{
    public int M, N, K, Lda, Ldb, Ldc;
    public long StrideA, StrideB, StrideC;
    public int TransposeA, TransposeB, HasBias;
    public float Alpha, Beta;
}

/// <summary>
/// The ILGPU kernels of the library, each a static method generic over its storage types. Elementwise
/// kernels use grid-stride loops (launched with at most the accelerator's thread count) so the CPU
/// simulator runs them with few threads; row kernels take one row per thread.
/// </summary>
internal static class IlgpuKernels
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
            acc += sa.ToFloat(a[ai]) * sb.ToFloat(b[bi]);
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

    public static void Cast<TI, SI, TO, SO>(Index1D index, ArrayView<TI> source, ArrayView<TO> destination, int stride, SI si, SO so)
        where TI : unmanaged where SI : struct, IKernelStorage<TI>
        where TO : unmanaged where SO : struct, IKernelStorage<TO>
    {
        for (long i = index; i < source.Length; i += stride)
        {
            destination[i] = so.FromFloat(si.ToFloat(source[i]));
        }
    }

    /// <summary>mode 0: sum, 1: max (NaN propagates).</summary>
    public static void RowReduce<TX, SX, TR, SR>(Index1D index, ArrayView<TX> x, ArrayView<TR> result, int cols, int mode, int stride, SX sx, SR sr)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TR : unmanaged where SR : struct, IKernelStorage<TR>
    {
        for (long row = index; row < result.Length; row += stride)
        {
            long start = row * cols;
            float acc = mode != 1 ? 0f : float.NegativeInfinity;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                acc = mode != 1 ? acc + v : (v > acc || float.IsNaN(v) ? v : acc);
            }

            result[row] = sr.FromFloat(mode == 2 ? acc / cols : acc);
        }
    }

    /// <summary>Softmax or log-softmax of each row, in FP32, max-subtracted.</summary>
    public static void Softmax<TX, SX, TY, SY>(Index1D index, ArrayView<TX> x, ArrayView<TY> y, int rows, int cols, int log, int stride, SX sx, SY sy)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (int row = index; row < rows; row += stride)
        {
            long start = (long)row * cols;
            float max = float.NegativeInfinity;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                max = v > max || float.IsNaN(v) ? v : max;
            }

            float sum = 0f;
            for (int k = 0; k < cols; k++)
            {
                sum += MathF.Exp(sx.ToFloat(x[start + k]) - max);
            }

            float shift = max + MathF.Log(sum);
            float inverse = 1f / sum;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                y[start + k] = sy.FromFloat(log != 0 ? v - shift : MathF.Exp(v - max) * inverse);
            }
        }
    }

    /// <summary>Per row: mean (when hasMean) and rstd = 1/sqrt(var + eps); var about the mean, or about 0 for RMSNorm.</summary>
    public static void NormStatistics<TX, SX>(Index1D index, ArrayView<TX> x, ArrayView<float> mean, ArrayView<float> rstd, int cols, float epsilon, int hasMean, int stride, SX sx)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
    {
        for (long row = index; row < rstd.Length; row += stride)
        {
            long start = row * cols;
            float mu = 0f;
            if (hasMean != 0)
            {
                for (int k = 0; k < cols; k++)
                {
                    mu += sx.ToFloat(x[start + k]);
                }

                mu /= cols;
                mean[row] = mu;
            }

            float squares = 0f;
            for (int k = 0; k < cols; k++)
            {
                float d = sx.ToFloat(x[start + k]) - mu;
                squares += d * d;
            }

            rstd[row] = 1f / MathF.Sqrt((squares / cols) + epsilon);
        }
    }

    /// <summary>g *= inverseScale; found[0] = 1 when any original element is inf or NaN.</summary>
    public static void UnscaleAndCheck(Index1D index, ArrayView<float> gradient, ArrayView<int> found, float inverseScale, int stride)
    {
        for (long i = index; i < gradient.Length; i += stride)
        {
            float g = gradient[i];
            if (!float.IsFinite(g))
            {
                found[0] = 1;   // a benign race: every writer writes 1
            }

            gradient[i] = g * inverseScale;
        }
    }

    public static void Sgd<TW, SW>(Index1D index, ArrayView<float> master, ArrayView<float> gradient, ArrayView<float> momentum, ArrayView<TW> working, SgdStepScalars s, int hasWorking, int stride, SW sw)
        where TW : unmanaged where SW : struct, IKernelStorage<TW>
    {
        for (long i = index; i < master.Length; i += stride)
        {
            float buf = s.HasMomentum ? momentum[i] : 0f;
            float p = OptimizerMath.Sgd(master[i], gradient[i], ref buf, s);
            master[i] = p;
            if (s.HasMomentum)
            {
                momentum[i] = buf;
            }

            if (hasWorking != 0)
            {
                working[i] = sw.FromFloat(p);
            }
        }
    }

    public static void AdamW<TW, SW>(Index1D index, ArrayView<float> master, ArrayView<float> gradient, ArrayView<float> m, ArrayView<float> v, ArrayView<TW> working, AdamWStepScalars s, int hasWorking, int stride, SW sw)
        where TW : unmanaged where SW : struct, IKernelStorage<TW>
    {
        for (long i = index; i < master.Length; i += stride)
        {
            float mi = m[i], vi = v[i];
            float p = OptimizerMath.AdamW(master[i], gradient[i], ref mi, ref vi, s);
            master[i] = p;
            m[i] = mi;
            v[i] = vi;
            if (hasWorking != 0)
            {
                working[i] = sw.FromFloat(p);
            }
        }
    }
}
