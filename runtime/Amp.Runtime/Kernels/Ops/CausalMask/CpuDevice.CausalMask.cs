using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// CausalMask: -inf above the diagonal, and its backward (zero gradient where masked).
internal sealed partial class CpuDevice
{
    private protected override void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx)
    {
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        int t = dy.Shape.Columns;
        for (int r = 0; r < dy.Shape.Rows; r++)
        {
            int visible = (r % t) + 1;
            VectorMath.Axpy(d.AsSpan(r * t, visible), g.AsSpan(r * t, visible), 1f);
        }
    }

    private protected override void CausalMaskCore(DeviceTensor x, DeviceTensor y)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int t = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, t, t, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, t);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * t, row);
                row[((r % t) + 1)..].Fill(float.NegativeInfinity);
                cy.Write(r * t, row);
            }
        });
    }
}
