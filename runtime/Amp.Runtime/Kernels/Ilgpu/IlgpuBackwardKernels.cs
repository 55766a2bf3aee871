using ILGPU;

namespace Amp;

/// <summary>
/// ILGPU kernels of the backward ops (see AmpDevice.BackwardKernels.cs). Gradients are FP32 and accumulated
/// (+=); saved activations arrive widened to FP32. Reductions over rows run one thread per column, in row order,
/// so results do not depend on scheduling.
/// </summary>
internal static class IlgpuBackwardKernels
{
    public static void Fill(Index1D index, ArrayView<float> t, float value, int stride)
    {
        for (long i = index; i < t.Length; i += stride)
        {
            t[i] = value;
        }
    }

    /// <summary>dst[j] += sum over r of src[r * n + j].</summary>
    public static void AccumulateRows(Index1D index, ArrayView<float> src, ArrayView<float> dst, int stride)
    {
        long n = dst.Length, rows = src.Length / n;
        for (long j = index; j < n; j += stride)
        {
            float sum = 0f;
            for (long r = 0; r < rows; r++)
            {
                sum += src[(r * n) + j];
            }

            dst[j] += sum;
        }
    }

    /// <summary>dx[i] += dy[i / cols] * scale.</summary>
    public static void BroadcastRows(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int cols, float scale, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            dx[i] += dy[i / cols] * scale;
        }
    }

    /// <summary>One thread per row: softmax (log 0) or log-softmax (log 1) backward.</summary>
    public static void SoftmaxBackward(Index1D index, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int rows, int cols, int log, int stride)
    {
        for (long r = index; r < rows; r += stride)
        {
            long o = r * cols;
            float reduce = 0f;
            for (int c = 0; c < cols; c++)
            {
                reduce += log != 0 ? dy[o + c] : dy[o + c] * y[o + c];
            }

            for (int c = 0; c < cols; c++)
            {
                dx[o + c] += log != 0 ? dy[o + c] - (MathF.Exp(y[o + c]) * reduce) : y[o + c] * (dy[o + c] - reduce);
            }
        }
    }

    /// <summary>One thread per row: dx of LayerNorm (hasMean 1) or RmsNorm (hasMean 0).</summary>
    public static void NormBackwardInput(
        Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy, ArrayView<float> dx,
        int rows, int cols, int hasMean, int stride)
    {
        for (long r = index; r < rows; r += stride)
        {
            long o = r * cols;
            float mu = hasMean != 0 ? mean[r] : 0f, rs = rstd[r], meanG = 0f, meanGX = 0f;
            for (int c = 0; c < cols; c++)
            {
                float g = dy[o + c] * w[c];
                meanG += g;
                meanGX += g * (x[o + c] - mu) * rs;
            }

            meanG = hasMean != 0 ? meanG / cols : 0f;
            meanGX /= cols;
            for (int c = 0; c < cols; c++)
            {
                float xhat = (x[o + c] - mu) * rs;
                dx[o + c] += rs * ((dy[o + c] * w[c]) - meanG - (xhat * meanGX));
            }
        }
    }

    /// <summary>One thread per column: dw[c] += sum_r dy * x_hat; db[c] += sum_r dy (hasBias 0 skips db).</summary>
    public static void NormBackwardWeights(
        Index1D index, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy, ArrayView<float> dw, ArrayView<float> db,
        int rows, int cols, int hasMean, int hasBias, int stride)
    {
        for (long c = index; c < cols; c += stride)
        {
            float sw = 0f, sb = 0f;
            for (long r = 0; r < rows; r++)
            {
                long i = (r * cols) + c;
                sw += dy[i] * (x[i] - (hasMean != 0 ? mean[r] : 0f)) * rstd[r];
                sb += dy[i];
            }

            dw[c] += sw;
            if (hasBias != 0)
            {
                db[c] += sb;
            }
        }
    }

    /// <summary>One thread per column: table[ids[r], c] += dy[r, c], rows in order.</summary>
    public static void ScatterAddRows(Index1D index, ArrayView<float> dy, ArrayView<float> ids, ArrayView<float> table, int cols, int stride)
    {
        for (long c = index; c < cols; c += stride)
        {
            for (long r = 0; r < ids.Length; r++)
            {
                table[((long)ids[r] * cols) + c] += dy[(r * cols) + c];
            }
        }
    }

    /// <summary>dx [outer, a, b, inner] += dy [outer, b, a, inner], element by element of dx.</summary>
    public static void SwapMiddleAccumulate(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int a, int b, int inner, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            long k = i % inner, rest = i / inner;
            long bj = rest % b;
            rest /= b;
            long ai = rest % a, o = rest / a;
            dx[i] += dy[((((o * b) + bj) * a) + ai) * inner + k];
        }
    }

    public static void CausalMaskBackward(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int t, int stride)
    {
        for (long i = index; i < dx.Length; i += stride)
        {
            long column = i % t, position = (i / t) % t;
            if (column <= position)
            {
                dx[i] += dy[i];
            }
        }
    }

    /// <summary>dlogits[r, c] += dloss / rows * (exp(logp[r, c]) - [c == label_r]).</summary>
    public static void CrossEntropyBackward(Index1D index, ArrayView<float> logProbs, ArrayView<float> labels, ArrayView<float> dloss, ArrayView<float> dx, int cols, int stride)
    {
        float seed = dloss[0] / labels.Length;
        for (long i = index; i < dx.Length; i += stride)
        {
            long r = i / cols;
            float hot = (long)labels[r] == i % cols ? 1f : 0f;
            dx[i] += seed * (MathF.Exp(logProbs[i]) - hot);
        }
    }

    public static void MseLossBackward(
        Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> dloss, ArrayView<float> da, ArrayView<float> db, int hasA, int hasB, int stride)
    {
        float k = 2f * dloss[0] / a.Length;
        for (long i = index; i < a.Length; i += stride)
        {
            float g = k * (a[i] - b[i]);
            if (hasA != 0)
            {
                da[i] += g;
            }

            if (hasB != 0)
            {
                db[i] -= g;
            }
        }
    }
}
