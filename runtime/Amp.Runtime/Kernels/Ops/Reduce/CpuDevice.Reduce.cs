using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// Row reductions (Sum, Mean, Max) and their backward: bias gradients (AccumulateRows) and the broadcast of a row gradient (BroadcastRowsAccumulate).
internal sealed partial class CpuDevice
{
    private protected override void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction)
    {
        var cx = (CpuTensor)x;
        var cr = (CpuTensor)result;
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, cols + 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            Span<float> value = scratch.AsSpan(cols, 1);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                value[0] = reduction switch
                {
                    RowReduction.Sum => VectorMath.Sum(row),
                    RowReduction.Mean => VectorMath.Sum(row) / cols,
                    _ => VectorMath.Max(row),
                };
                cr.Write(r, value);
            }
        });
    }

    private protected override void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination)
    {
        using Fp32Elements from = new(source), to = new(destination, accumulate: true);
        float[] src = from.Values, dst = to.Values;
        int n = destination.Length, rows = source.Length / n;

        // Split the columns across cores; each chunk adds the rows in order, so the result is deterministic.
        CpuParallel.For(n, rows, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, _) =>
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
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        int cols = dx.Shape.Columns;
        for (int r = 0; r < dy.Length; r++)
        {
            VectorMath.AddScalar(d.AsSpan(r * cols, cols), g[r] * scale);
        }
    }
}
