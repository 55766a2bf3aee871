namespace Amp;

internal sealed partial class CpuDevice
{
    private protected override void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int cols = x.Shape.Columns;
        float[] m = mean?.ToArray() ?? new float[x.Shape.Rows];
        float[] r = rstd.ToArray(), w = weight.ToArray(), b = bias?.ToArray() ?? new float[cols];
        CpuParallel.For(x.Shape.Rows, cols, cols, (start, end, scratch) =>
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

    private protected override void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y)
    {
        var ct = (CpuTensor)table;
        var cy = (CpuTensor)y;
        int cols = table.Shape.Columns;
        var row = new float[cols];
        for (int r = 0; r < hostIds.Length; r++)
        {
            ct.Read((int)hostIds[r] * cols, row);
            cy.Write(r * cols, row);
        }
    }

    private protected override void SwapMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner)
    {
        Array source = ((CpuTensor)x).Data, destination = ((CpuTensor)y).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < a; i++)
            {
                for (int j = 0; j < b; j++)
                {
                    Array.Copy(source, ((((o * a) + i) * b) + j) * inner, destination, ((((o * b) + j) * a) + i) * inner, inner);
                }
            }
        }
    }

    private protected override void CausalMaskCore(DeviceTensor x, DeviceTensor y)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int t = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, t, t, (start, end, scratch) =>
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
