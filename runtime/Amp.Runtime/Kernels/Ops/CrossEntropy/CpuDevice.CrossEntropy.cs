using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
internal sealed partial class CpuDevice
{
    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        var lp = (CpuTensor)logProbs;
        using Fp32Elements gx = new(dlogits, accumulate: true);
        float[] d = gx.Values;
        int cols = logProbs.Shape.Columns, rows = hostLabels.Length;
        float seed = ((CpuTensor)dloss).As<float>()[0] / rows;
        CpuParallel.For(rows, cols * 4L, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
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

    private protected override void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss)
    {
        var cl = (CpuTensor)logProbs;
        int cols = logProbs.Shape.Columns;
        Span<float> value = stackalloc float[1];
        float sum = 0;
        for (int r = 0; r < hostLabels.Length; r++)
        {
            cl.Read((r * cols) + (int)hostLabels[r], value);
            sum -= value[0];
        }

        value[0] = sum / hostLabels.Length;
        ((CpuTensor)loss).Write(0, value);
    }
}
