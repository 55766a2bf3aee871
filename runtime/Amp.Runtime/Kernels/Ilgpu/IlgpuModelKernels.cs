using ILGPU;

namespace Amp;

/// <summary>ILGPU kernels of the model ops (see AmpDevice.ModelKernels.cs); grid-stride loops as in <see cref="IlgpuKernels"/>.</summary>
internal static class IlgpuModelKernels
{
    /// <summary>y = (x - mean[row]) * rstd[row] * w + b; hasMean/hasBias 0 read no mean/bias.</summary>
    public static void NormAffine<TX, SX, TY, SY>(
        Index1D index, ArrayView<TX> x, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> w, ArrayView<float> b,
        ArrayView<TY> y, int cols, int hasMean, int hasBias, int stride, SX sx, SY sy)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long row = i / cols;
            int c = (int)(i % cols);
            float centred = sx.ToFloat(x[i]) - (hasMean != 0 ? mean[row] : 0f);
            y[i] = sy.FromFloat((centred * rstd[row] * w[c]) + (hasBias != 0 ? b[c] : 0f));
        }
    }

    /// <summary>y[r, c] = table[ids[r], c]; ids were range-checked on the host.</summary>
    public static void Gather<TT, ST, TY, SY>(Index1D index, ArrayView<TT> table, ArrayView<float> ids, ArrayView<TY> y, int cols, int stride, ST st, SY sy)
        where TT : unmanaged where ST : struct, IKernelStorage<TT>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long row = i / cols;
            y[i] = sy.FromFloat(st.ToFloat(table[((long)ids[row] * cols) + (i % cols)]));
        }
    }

    /// <summary>[outer, a, b, inner] -> [outer, b, a, inner], element by element of the destination.</summary>
    public static void SwapMiddle<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, int a, int b, int inner, int stride)
        where T : unmanaged
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long k = i % inner, rest = i / inner;
            long ai = rest % a;
            rest /= a;
            long bj = rest % b, o = rest / b;
            y[i] = x[((((o * a) + ai) * b) + bj) * inner + k];
        }
    }

    /// <summary>Scores [.., T, T]: columns after the row's position become -infinity.</summary>
    public static void CausalMask<TX, SX, TY, SY>(Index1D index, ArrayView<TX> x, ArrayView<TY> y, int t, int stride, SX sx, SY sy)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long column = i % t, position = (i / t) % t;
            y[i] = sy.FromFloat(column > position ? float.NegativeInfinity : sx.ToFloat(x[i]));
        }
    }

    /// <summary>One thread: loss[0] = -mean(logp[r, labels[r]]); labels were range-checked on the host.</summary>
    public static void NllLoss<TX, SX>(Index1D index, ArrayView<TX> logProbs, ArrayView<float> labels, ArrayView<float> loss, int cols, SX sx)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
    {
        if (index == 0)
        {
            float sum = 0f;
            for (long r = 0; r < labels.Length; r++)
            {
                sum -= sx.ToFloat(logProbs[(r * cols) + (long)labels[r]]);
            }

            loss[0] = sum / labels.Length;
        }
    }
}
