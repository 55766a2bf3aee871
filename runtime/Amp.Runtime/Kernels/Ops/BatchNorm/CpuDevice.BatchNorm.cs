using System.Runtime.CompilerServices;
namespace Amp;

// BatchNorm2d on [B, C, H, W]: channel-parallel statistics and backward (each channel's sums stay on one core, in a
// fixed order, so a run is reproducible), row-parallel normalisation; FP32 math, vectorised along the pixels.
internal sealed partial class CpuDevice
{
    private protected override void ChannelStatisticsCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance)
    {
        var cx = (CpuTensor)x;
        float[] means = ((CpuTensor)mean).As<float>(), variances = ((CpuTensor)variance).As<float>();
        (int batch, int channels, int pixels) = Layout(x);
        CpuParallel.For(channels, (long)batch * pixels * 2, pixels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, pixels);
            for (int c = start; c < end; c++)
            {
                // Row sums in FP32, accumulated across the batch in FP64: a large batch adds no error of its own.
                double sum = 0;
                for (int b = 0; b < batch; b++)
                {
                    cx.Read(((b * channels) + c) * pixels, row);
                    sum += VectorMath.Sum(row);
                }

                float mu = (float)(sum / ((long)batch * pixels));
                double squares = 0;
                for (int b = 0; b < batch; b++)
                {
                    cx.Read(((b * channels) + c) * pixels, row);
                    squares += VectorMath.SumSquaredDeviation(row, mu);
                }

                means[c] = mu;
                variances[c] = (float)(squares / ((long)batch * pixels));
            }
        });
    }

    private protected override void UpdateRunningStatisticsCore(DeviceTensor mean, DeviceTensor variance, DeviceTensor runningMean, DeviceTensor runningVar, float momentum, float unbias)
    {
        float[] m = ((CpuTensor)mean).As<float>(), v = ((CpuTensor)variance).As<float>();
        float[] rm = ((CpuTensor)runningMean).As<float>(), rv = ((CpuTensor)runningVar).As<float>();
        for (int c = 0; c < m.Length; c++)
        {
            rm[c] = ((1f - momentum) * rm[c]) + (momentum * m[c]);
            rv[c] = ((1f - momentum) * rv[c]) + (momentum * v[c] * unbias);
        }
    }

    private protected override void BatchNormCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance, DeviceTensor weight, DeviceTensor bias, DeviceTensor y, float epsilon)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        (int batch, int channels, int pixels) = Layout(x);
        (float[] scale, float[] shift) = Affine(mean, variance, weight, bias, epsilon);
        CpuParallel.For(batch * channels, pixels, pixels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, pixels);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * pixels, row);
                VectorMath.ScaleShift(row, scale[r % channels], shift[r % channels]);
                cy.Write(r * pixels, row);
            }
        });
    }

    private protected override void BatchNormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor mean, DeviceTensor variance, float epsilon, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor dbias)
    {
        using Fp32Elements xs = new(x), gy = new(dy);
        using Fp32Elements? gx = dx is null ? null : new Fp32Elements(dx, accumulate: true);
        float[] xv = xs.Values, g = gy.Values;
        float[]? d = gx?.Values;
        float[] w = ((CpuTensor)weight).As<float>(), mu = ((CpuTensor)mean).As<float>(), va = ((CpuTensor)variance).As<float>();
        float[] dw = ((CpuTensor)dweight).As<float>(), db = ((CpuTensor)dbias).As<float>();
        (int batch, int channels, int pixels) = Layout(x);
        long n = (long)batch * pixels;
        CpuParallel.For(channels, n * 4, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, _) =>
        {
            for (int c = start; c < end; c++)
            {
                float rstd = 1f / MathF.Sqrt(va[c] + epsilon);
                double sumG = 0, sumGX = 0;
                for (int b = 0; b < batch; b++)
                {
                    int o = ((b * channels) + c) * pixels;
                    ReadOnlySpan<float> gr = g.AsSpan(o, pixels), xr = xv.AsSpan(o, pixels);
                    sumG += VectorMath.Sum(gr);
                    sumGX += VectorMath.DotCentered(gr, xr, mu[c]);
                }

                sumGX *= rstd;
                db[c] += (float)sumG;
                dw[c] += (float)sumGX;
                if (d is null)
                {
                    continue;
                }

                // dx = k (dy - mean(dy) - x_hat mean(dy x_hat)), k = weight rstd: per pixel dy k + x (-k rstd m2) + const.
                float k = w[c] * rstd, meanG = (float)(sumG / n), meanGX = (float)(sumGX / n);
                float xScale = -k * rstd * meanGX, constant = k * ((rstd * meanGX * mu[c]) - meanG);
                for (int b = 0; b < batch; b++)
                {
                    int o = ((b * channels) + c) * pixels;
                    Span<float> dr = d.AsSpan(o, pixels);
                    VectorMath.Axpy(dr, g.AsSpan(o, pixels), k);
                    VectorMath.Axpy(dr, xv.AsSpan(o, pixels), xScale);
                    VectorMath.AddScalar(dr, constant);
                }
            }
        });
    }

    /// <summary>Per channel: scale = weight / sqrt(variance + eps), shift = bias - mean scale.</summary>
    private static (float[] Scale, float[] Shift) Affine(DeviceTensor mean, DeviceTensor variance, DeviceTensor weight, DeviceTensor bias, float epsilon)
    {
        float[] m = ((CpuTensor)mean).As<float>(), v = ((CpuTensor)variance).As<float>(), w = ((CpuTensor)weight).As<float>(), b = ((CpuTensor)bias).As<float>();
        var scale = new float[m.Length];
        var shift = new float[m.Length];
        for (int c = 0; c < m.Length; c++)
        {
            scale[c] = w[c] / MathF.Sqrt(v[c] + epsilon);
            shift[c] = b[c] - (m[c] * scale[c]);
        }

        return (scale, shift);
    }

    private static (int Batch, int Channels, int Pixels) Layout(DeviceTensor x) => (x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]);
}
