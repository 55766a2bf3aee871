using System.Numerics;

namespace Amp;

// MseLoss backward (its forward is a fused squared-error chain and a RowMean).
internal sealed partial class CpuDevice
{
    private protected override void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        float[] x = a.ToArray(), y = b.ToArray();
        float k = 2f * ((CpuTensor)dloss).As<float>()[0] / x.Length;
        using Fp32Elements? la = da is null ? null : new Fp32Elements(da, accumulate: true), lb = db is null ? null : new Fp32Elements(db, accumulate: true);
        float[]? ga = la?.Values, gb = lb?.Values;
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
}
