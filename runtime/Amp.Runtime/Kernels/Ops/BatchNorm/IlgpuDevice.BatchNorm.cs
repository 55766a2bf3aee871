using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// BatchNorm2d on [B, C, H, W]: one thread per channel for the statistics and the backward's sums (a fixed order: the
// same numbers on every launch), one thread per element for the normalisation; low-precision tensors are widened to
// FP32 copies first, and an accumulated dx is rounded back once.
internal sealed partial class IlgpuDevice
{
    private protected override void ChannelStatisticsCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance)
    {
        using Fp32Copy xs = new(this, x);
        int threads = Threads(mean.Length);
        Kernel("bn/statistics", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuKernels.ChannelStatistics))(
            threads, xs.View, F(mean), F(variance), x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], threads);
        Launched();
    }

    private protected override void UpdateRunningStatisticsCore(DeviceTensor mean, DeviceTensor variance, DeviceTensor runningMean, DeviceTensor runningVar, float momentum, float unbias)
    {
        int threads = Threads(mean.Length);
        Kernel("bn/running", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, int>(IlgpuKernels.UpdateRunningStatistics))(
            threads, F(mean), F(variance), F(runningMean), F(runningVar), momentum, unbias, threads);
        Launched();
    }

    private protected override void BatchNormCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance, DeviceTensor weight, DeviceTensor bias, DeviceTensor y, float epsilon)
    {
        using Fp32Copy xs = new(this, x), ys = new(this, y, writeBack: true);
        int threads = Threads(y.Length);
        Kernel("bn/normalise", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(IlgpuModelKernels.BatchNorm))(
            threads, xs.View, F(mean), F(variance), F(weight), F(bias), ys.View, x.Shape[1], x.Shape[2] * x.Shape[3], epsilon, threads);
        Launched();
    }

    private protected override void BatchNormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor mean, DeviceTensor variance, float epsilon, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor dbias)
    {
        using Fp32Copy xs = new(this, x), gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(weight.Length);
        Kernel("bn/backward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormExtent, int>(IlgpuBackwardKernels.BatchNormBackward))(
            threads, xs.View, F(weight), F(mean), F(variance), gy.View, gx.View, F(dweight), F(dbias), new BatchNormExtent(x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], epsilon, dx is null ? 0 : 1), threads);
        Launched();
    }
}

/// <summary>The layout of a BatchNorm2d backward: batch, channels, pixels per channel, eps, and whether dx is written.</summary>
internal readonly record struct BatchNormExtent(int Batch, int Channels, int Pixels, float Epsilon, int HasDx);

internal static partial class IlgpuKernels
{
    /// <summary>One thread per channel: mean and biased variance over (batch, pixels), two passes.</summary>
    public static void ChannelStatistics(Index1D index, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, int batch, int channels, int pixels, int stride)
    {
        for (int c = index; c < channels; c += stride)
        {
            float sum = 0f;
            for (int b = 0; b < batch; b++)
            {
                long o = ((long)(b * channels) + c) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    sum += x[o + p];
                }
            }

            float n = (float)batch * pixels, mu = sum / n, squares = 0f;
            for (int b = 0; b < batch; b++)
            {
                long o = ((long)(b * channels) + c) * pixels;
                for (int p = 0; p < pixels; p++)
                {
                    float d = x[o + p] - mu;
                    squares += d * d;
                }
            }

            mean[c] = mu;
            variance[c] = squares / n;
        }
    }

    /// <summary>running = (1 - m) running + m batch; the variance unbiased by count / (count - 1).</summary>
    public static void UpdateRunningStatistics(
        Index1D index, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> runningMean, ArrayView<float> runningVar, float momentum, float unbias, int stride)
    {
        for (long c = index; c < mean.Length; c += stride)
        {
            runningMean[c] = ((1f - momentum) * runningMean[c]) + (momentum * mean[c]);
            runningVar[c] = ((1f - momentum) * runningVar[c]) + (momentum * variance[c] * unbias);
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y = (x - mean[c]) / sqrt(variance[c] + eps) * weight[c] + bias[c], c the channel of the element.</summary>
    public static void BatchNorm(
        Index1D index, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
        int channels, int pixels, float epsilon, int stride)
    {
        for (long i = index; i < y.Length; i += stride)
        {
            int c = (int)(i / pixels % channels);
            float scale = weight[c] / MathF.Sqrt(variance[c] + epsilon);
            y[i] = ((x[i] - mean[c]) * scale) + bias[c];
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>One thread per channel: db += sum dy, dw += sum dy x_hat, dx += w rstd (dy - mean(dy) - x_hat mean(dy x_hat)).</summary>
    public static void BatchNormBackward(
        Index1D index, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> dweight, ArrayView<float> dbias, BatchNormExtent e, int stride)
    {
        for (int c = index; c < e.Channels; c += stride)
        {
            float rstd = 1f / MathF.Sqrt(variance[c] + e.Epsilon), mu = mean[c], sumG = 0f, sumGX = 0f;
            for (int b = 0; b < e.Batch; b++)
            {
                long o = ((long)(b * e.Channels) + c) * e.Pixels;
                for (int p = 0; p < e.Pixels; p++)
                {
                    sumG += dy[o + p];
                    sumGX += dy[o + p] * (x[o + p] - mu) * rstd;
                }
            }

            dbias[c] += sumG;
            dweight[c] += sumGX;
            if (e.HasDx == 0)
            {
                continue;
            }

            float n = (float)e.Batch * e.Pixels, k = weight[c] * rstd, meanG = sumG / n, meanGX = sumGX / n;
            for (int b = 0; b < e.Batch; b++)
            {
                long o = ((long)(b * e.Channels) + c) * e.Pixels;
                for (int p = 0; p < e.Pixels; p++)
                {
                    float xhat = (x[o + p] - mu) * rstd;
                    dx[o + p] += k * (dy[o + p] - meanG - (xhat * meanGX));
                }
            }
        }
    }
}
