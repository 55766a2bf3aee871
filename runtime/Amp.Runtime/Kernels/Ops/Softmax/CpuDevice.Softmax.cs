using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// Softmax and LogSoftmax over the last dimension, forward and backward (from the saved output), in FP32.
internal sealed partial class CpuDevice
{
    private protected override void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, 2 * cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            Span<float> exps = scratch.AsSpan(cols, cols);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                float max = VectorMath.Max(row);
                row.CopyTo(exps);
                float sum = VectorMath.ExpShiftedInPlace(exps, max);
                if (log)
                {
                    VectorMath.ScaleShift(row, 1f, -(max + MathF.Log(sum)));
                    cy.Write(r * cols, row);
                }
                else
                {
                    VectorMath.ScaleShift(exps, 1f / sum, 0f);
                    cy.Write(r * cols, exps);
                }
            }
        });
    }

    private protected override void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        var cy = (CpuTensor)y;
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        int cols = y.Shape.Columns;
        CpuParallel.For(y.Shape.Rows, cols * 4L, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
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
}
