using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// LayerNorm and RmsNorm: FP32 statistics, the affine pass, and the backward to the input, weight and bias.
internal sealed partial class CpuDevice
{
    private protected override void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon)
    {
        var cx = (CpuTensor)x;
        float[]? means = ((CpuTensor?)mean)?.As<float>();
        float[] rstds = ((CpuTensor)rstd).As<float>();
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                float mu = means is null ? 0f : VectorMath.Sum(row) / cols;
                float variance = VectorMath.SumSquaredDeviation(row, mu) / cols;
                if (means is not null)
                {
                    means[r] = mu;
                }

                rstds[r] = 1f / MathF.Sqrt(variance + epsilon);
            }
        });
    }

    private protected override void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        var cx = (CpuTensor)x;
        int rows = x.Shape.Rows, cols = x.Shape.Columns;
        float[] w = weight.ToArray(), rs = ((CpuTensor)rstd).As<float>(), mu = mean is null ? new float[rows] : ((CpuTensor)mean).As<float>();
        using Fp32Elements gy = new(dy);
        using Fp32Elements? gx = dx is null ? null : new Fp32Elements(dx, accumulate: true);
        float[] g = gy.Values;
        float[]? d = gx?.Values;
        // x_hat, kept between the two passes; pooled, as this runs in every training step.
        float[] xhat = System.Buffers.ArrayPool<float>.Shared.Rent(rows * cols);

        // dx, row-parallel; x_hat is kept for the weight gradients below.
        CpuParallel.For(rows, cols * 6L, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> gw = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                Span<float> xh = xhat.AsSpan(r * cols, cols);
                cx.Read(r * cols, xh);
                ReadOnlySpan<float> gr = g.AsSpan(r * cols, cols);
                float meanG = 0, meanGX = 0;
                for (int c = 0; c < cols; c++)
                {
                    xh[c] = (xh[c] - mu[r]) * rs[r];
                    gw[c] = gr[c] * w[c];
                    meanG += gw[c];
                    meanGX += gw[c] * xh[c];
                }

                if (d is null)
                {
                    continue;
                }

                meanG = mean is null ? 0 : meanG / cols;
                meanGX /= cols;
                Span<float> dr = d.AsSpan(r * cols, cols);
                for (int c = 0; c < cols; c++)
                {
                    dr[c] += rs[r] * (gw[c] - meanG - (xh[c] * meanGX));
                }
            }
        });

        float[] dw = ((CpuTensor)dweight).As<float>();
        float[]? db = (dbias as CpuTensor)?.As<float>();
        var product = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> gr = g.AsSpan(r * cols, cols);
            VectorMath.Multiply(gr, xhat.AsSpan(r * cols, cols), product);
            VectorMath.Axpy(dw, product, 1f);
            if (db is not null)
            {
                VectorMath.Axpy(db, gr, 1f);
            }
        }

        System.Buffers.ArrayPool<float>.Shared.Return(xhat);
    }

    private protected override void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int cols = x.Shape.Columns;
        float[] m = mean?.ToArray() ?? new float[x.Shape.Rows];
        float[] r = rstd.ToArray(), w = weight.ToArray(), b = bias?.ToArray() ?? new float[cols];
        CpuParallel.For(x.Shape.Rows, cols, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int i = start; i < end; i++)
            {
                cx.Read(i * cols, row);
                for (int c = 0; c < cols; c++)
                {
                    row[c] = ((row[c] - m[i]) * r[i] * w[c]) + b[c];
                }

                cy.Write(i * cols, row);
            }
        });
    }
}
