using System.Numerics;

namespace Amp;

// MseLoss backward (its forward is a fused squared-error chain and a RowMean).
internal sealed partial class CpuDevice
{
    private protected override void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        using Fp32Elements xs = new(a), ys = new(b);
        float[] x = xs.Values, y = ys.Values;
        int n = a.Length;
        float k = 2f * ((CpuTensor)dloss).As<float>()[0] / n;
        using Fp32Elements? la = da is null ? null : new Fp32Elements(da, accumulate: true), lb = db is null ? null : new Fp32Elements(db, accumulate: true);
        float[]? ga = la?.Values, gb = lb?.Values;
        for (int i = 0; i < n; i++)
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
}
