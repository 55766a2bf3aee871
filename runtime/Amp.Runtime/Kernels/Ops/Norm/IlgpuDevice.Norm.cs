using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// LayerNorm and RmsNorm: FP32 statistics, the affine pass, and the backward to the input, weight and bias.
internal sealed partial class IlgpuDevice
{
    private protected override void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon)
    {
        ArrayView<float> meanView = mean is null ? EmptyFloats : ((IlgpuTensor)mean).View<float>();
        ArrayView<float> rstdView = ((IlgpuTensor)rstd).View<float>();
        int cols = x.Shape.Columns, threads = Threads(rstd.Length), hasMean = mean is null ? 0 : 1;
        var t = (IlgpuTensor)x;
        switch (x.Precision)
        {
            case Precision.Fp32: Norm<float, Fp32Storage>(); break;
            case Precision.Bf16: Norm<ushort, Bf16Storage>(); break;
            default: Norm<KernelHalf, Fp16Storage>(); break;
        }

        Launched();

        void Norm<T, S>()
            where T : unmanaged where S : struct, IKernelStorage<T>
        {
            var kernel = Kernel(
                $"norm/{typeof(S).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<float>, ArrayView<float>, int, float, int, int, S>(
                    IlgpuKernels.NormStatistics<T, S>));
            kernel(threads, t.View<T>(), meanView, rstdView, cols, epsilon, hasMean, threads, default);
        }
    }

    private protected override void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        using Fp32Copy xs = new(this, x), w = new(this, weight);
        int rows = x.Shape.Rows, cols = x.Shape.Columns, hasMean = mean is null ? 0 : 1;
        ArrayView<float> mu = mean is null ? EmptyFloats : F(mean);
        int threads = Threads(rows);
        if (dx is not null)
        {
            Kernel(
            "normbackward/input", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.NormBackwardInput))(threads, xs.View, w.View, mu, F(rstd), gy.View, gx.View, rows, cols, hasMean, threads);
        }

        threads = Threads(cols);
        Kernel(
            "normbackward/weights", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(IlgpuBackwardKernels.NormBackwardWeights))(
            threads, xs.View, mu, F(rstd), gy.View, F(dweight), dbias is null ? EmptyFloats : F(dbias), rows, cols, hasMean, dbias is null ? 0 : 1, threads);
        Launched();
    }

    private protected override void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        using Fp32Copy w = new(this, weight), b = new(this, bias);
        ArrayView<float> meanView = mean is null ? EmptyFloats : ((IlgpuTensor)mean).View<float>();
        Dispatch2(x, y, new NormAffineLaunch(this, meanView, ((IlgpuTensor)rstd).View<float>(), w.View, b.View, x.Shape.Columns, mean is null ? 0 : 1, bias is null ? 0 : 1, Threads(y.Length)));
    }

    private readonly record struct NormAffineLaunch(
        IlgpuDevice Device, ArrayView<float> Mean, ArrayView<float> Rstd, ArrayView<float> Weight, ArrayView<float> Bias, int Columns, int HasMean, int HasBias, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"normaffine/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<TO>, int, int, int, int, SI, SO>(
                    IlgpuModelKernels.NormAffine<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), Mean, Rstd, Weight, Bias, output.View<TO>(), Columns, HasMean, HasBias, Threads, default, default);
        }
    }
}

internal static partial class IlgpuKernels
{
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
}

internal static partial class IlgpuBackwardKernels
{
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
}

internal static partial class IlgpuModelKernels
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
}
