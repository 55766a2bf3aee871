using System.Runtime.CompilerServices;
using System.Numerics;

namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
internal sealed partial class CpuDevice
{
    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits, CrossEntropyOptions options)
    {
        var lp = (CpuTensor)logProbs;
        using Fp32Elements gx = new(dlogits, accumulate: true);
        float[] d = gx.Values;
        int cols = logProbs.Shape.Columns, rows = hostLabels.Length;
        float seed = ((CpuTensor)dloss).As<float>()[0] / options.Counted(hostLabels);
        float eps = options.LabelSmoothing, uniform = seed * eps / cols, hot = seed * (1f - eps);
        CpuParallel.For(rows, cols * 4L, cols, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                if (hostLabels[r] == options.IgnoreIndex)
                {
                    continue;
                }

                lp.Read(r * cols, row);
                Span<float> dr = d.AsSpan(r * cols, cols);
                for (int c = 0; c < cols; c++)
                {
                    dr[c] += (seed * MathF.Exp(row[c])) - uniform;
                }

                dr[(int)hostLabels[r]] -= hot;
            }
        });
    }

    private protected override void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss, CrossEntropyOptions options)
    {
        var cl = (CpuTensor)logProbs;
        int cols = logProbs.Shape.Columns;
        float eps = options.LabelSmoothing;
        float[] row = new float[cols];
        float sum = 0;
        for (int r = 0; r < hostLabels.Length; r++)
        {
            if (hostLabels[r] == options.IgnoreIndex)
            {
                continue;
            }

            cl.Read(r * cols, row);
            sum -= (1f - eps) * row[(int)hostLabels[r]];
            if (eps != 0f)
            {
                sum -= eps * VectorMath.Sum(row) / cols;
            }
        }

        float[] value = [sum / options.Counted(hostLabels)];
        ((CpuTensor)loss).Write(0, value);
    }
}
