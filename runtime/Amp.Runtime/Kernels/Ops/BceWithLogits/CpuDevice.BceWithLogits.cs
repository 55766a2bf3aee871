using Amp.Compilation;

namespace Amp;

// BinaryCrossEntropyWithLogits backward (its forward is a fused softplus(x) - x y chain and a RowMean).
internal sealed partial class CpuDevice
{
    private protected override void BinaryCrossEntropyWithLogitsBackwardCore(DeviceTensor logits, DeviceTensor targets, DeviceTensor dloss, DeviceTensor? dlogits, DeviceTensor? dtargets)
    {
        using Fp32Elements xs = new(logits), ys = new(targets);
        float[] x = xs.Values, y = ys.Values;
        int n = logits.Length;
        float k = ((CpuTensor)dloss).As<float>()[0] / n;
        using Fp32Elements? lx = dlogits is null ? null : new Fp32Elements(dlogits, accumulate: true), ly = dtargets is null ? null : new Fp32Elements(dtargets, accumulate: true);
        float[]? gx = lx?.Values, gy = ly?.Values;
        for (int i = 0; i < n; i++)
        {
            if (gx is not null)
            {
                gx[i] += k * (ChainMath.Sigmoid(x[i]) - y[i]);
            }

            if (gy is not null)
            {
                gy[i] -= k * x[i];
            }
        }
    }
}
