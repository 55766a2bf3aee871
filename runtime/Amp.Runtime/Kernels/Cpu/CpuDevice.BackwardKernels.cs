using System.Numerics;

namespace Amp;

internal sealed partial class CpuDevice
{
    private protected override void FillCore(DeviceTensor tensor, float value)
    {
        var t = (CpuTensor)tensor;
        switch (t.Precision)
        {
            case Precision.Fp32: t.As<float>().AsSpan().Fill(value); break;
            case Precision.Bf16: t.As<Bf16>().AsSpan().Fill(Bf16.FromFloat(value)); break;
            default: t.As<Half>().AsSpan().Fill((Half)value); break;
        }
    }

    private protected override void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination)
    {
        float[] src = ((CpuTensor)source).As<float>(), dst = ((CpuTensor)destination).As<float>();
        int n = dst.Length, rows = src.Length / n;

        // Split the columns across cores; each chunk adds the rows in order, so the result is deterministic.
        CpuParallel.For(n, rows, 0, (start, end, _) =>
        {
            Span<float> d = dst.AsSpan(start, end - start);
            for (int r = 0; r < rows; r++)
            {
                VectorMath.Axpy(d, src.AsSpan((r * n) + start, end - start), 1f);
            }
        });
    }

    private protected override void BroadcastRowsAccumulateCore(DeviceTensor dy, DeviceTensor dx, float scale)
    {
        float[] g = ((CpuTensor)dy).As<float>(), d = ((CpuTensor)dx).As<float>();
        int cols = dx.Shape.Columns;
        for (int r = 0; r < g.Length; r++)
        {
            VectorMath.AddScalar(d.AsSpan(r * cols, cols), g[r] * scale);
        }
    }

    private protected override void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        var cy = (CpuTensor)y;
        float[] g = ((CpuTensor)dy).As<float>(), d = ((CpuTensor)dx).As<float>();
        int cols = y.Shape.Columns;
        CpuParallel.For(y.Shape.Rows, cols * 4L, cols, (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                cy.Read(r * cols, row);
                ReadOnlySpan<float> gr = g.AsSpan(r * cols, cols);
                Span<float> dr = d.AsSpan(r * cols, cols);
                if (log)
                {
                    // d/dx of log-softmax: dy - softmax * sum(dy).
                    float total = VectorMath.Sum(gr);
                    for (int c = 0; c < cols; c++)
                    {
                        dr[c] += gr[c] - (MathF.Exp(row[c]) * total);
                    }
                }
                else
                {
                    float dot = VectorMath.Dot(gr, row);
                    for (int c = 0; c < cols; c++)
                    {
                        dr[c] += row[c] * (gr[c] - dot);
                    }
                }
            }
        });
    }

    private protected override void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        var cx = (CpuTensor)x;
        int rows = x.Shape.Rows, cols = x.Shape.Columns;
        float[] w = weight.ToArray(), rs = ((CpuTensor)rstd).As<float>(), mu = mean is null ? new float[rows] : ((CpuTensor)mean).As<float>();
        float[] g = ((CpuTensor)dy).As<float>();
        float[]? d = (dx as CpuTensor)?.As<float>();
        // x_hat, kept between the two passes; pooled, as this runs in every training step.
        float[] xhat = System.Buffers.ArrayPool<float>.Shared.Rent(rows * cols);

        // dx, row-parallel; x_hat is kept for the weight gradients below.
        CpuParallel.For(rows, cols * 6L, cols, (start, end, scratch) =>
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

    private protected override void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable)
    {
        float[] g = ((CpuTensor)dy).As<float>(), t = ((CpuTensor)dtable).As<float>();
        int cols = dtable.Shape.Columns;
        for (int r = 0; r < hostIds.Length; r++)
        {
            VectorMath.Axpy(t.AsSpan((int)hostIds[r] * cols, cols), g.AsSpan(r * cols, cols), 1f);
        }
    }

    private protected override void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        float[] g = ((CpuTensor)dy).As<float>(), d = ((CpuTensor)dx).As<float>();
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < b; j++)
            {
                for (int i = 0; i < a; i++)
                {
                    VectorMath.Axpy(d.AsSpan(((((o * a) + i) * b) + j) * inner, inner), g.AsSpan(((((o * b) + j) * a) + i) * inner, inner), 1f);
                }
            }
        }
    }

    private protected override void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx)
    {
        float[] g = ((CpuTensor)dy).As<float>(), d = ((CpuTensor)dx).As<float>();
        int t = dy.Shape.Columns;
        for (int r = 0; r < dy.Shape.Rows; r++)
        {
            int visible = (r % t) + 1;
            VectorMath.Axpy(d.AsSpan(r * t, visible), g.AsSpan(r * t, visible), 1f);
        }
    }

    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        var lp = (CpuTensor)logProbs;
        float[] d = ((CpuTensor)dlogits).As<float>();
        int cols = logProbs.Shape.Columns, rows = hostLabels.Length;
        float seed = ((CpuTensor)dloss).As<float>()[0] / rows;
        CpuParallel.For(rows, cols * 4L, cols, (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                lp.Read(r * cols, row);
                Span<float> dr = d.AsSpan(r * cols, cols);
                for (int c = 0; c < cols; c++)
                {
                    dr[c] += seed * MathF.Exp(row[c]);
                }

                dr[(int)hostLabels[r]] -= seed;
            }
        });
    }

    private protected override void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        float[] x = a.ToArray(), y = b.ToArray();
        float k = 2f * ((CpuTensor)dloss).As<float>()[0] / x.Length;
        float[]? ga = (da as CpuTensor)?.As<float>(), gb = (db as CpuTensor)?.As<float>();
        for (int i = 0; i < x.Length; i++)
        {
            float g = k * (x[i] - y[i]);
            if (ga is not null)
            {
                ga[i] += g;
            }

            if (gb is not null)
            {
                gb[i] -= g;
            }
        }
    }

    private protected override double SquaredNormCore(DeviceTensor tensor)
    {
        float[] values = ((CpuTensor)tensor).As<float>();
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // FP32 squares summed per lane, flushed to FP64 every block so long tensors keep their precision.
            for (; i <= values.Length - Vector<float>.Count;)
            {
                Vector<float> acc = Vector<float>.Zero;
                int blockEnd = Math.Min(values.Length - Vector<float>.Count, i + (1024 * Vector<float>.Count));
                for (; i <= blockEnd; i += Vector<float>.Count)
                {
                    var v = new Vector<float>(values, i);
                    acc += v * v;
                }

                sum += Vector.Sum(acc);
            }
        }

        for (; i < values.Length; i++)
        {
            sum += (double)values[i] * values[i];
        }

        return sum;
    }
}
