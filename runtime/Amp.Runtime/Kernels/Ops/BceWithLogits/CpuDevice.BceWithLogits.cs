using Amp.Compilation;

namespace Amp;

// BinaryCrossEntropyWithLogits backward (its forward is a fused softplus(x) - x y chain and a RowMean).
internal sealed partial class CpuDevice
{
    private protected override void BinaryCrossEntropyWithLogitsBackwardCore(DeviceTensor logits, DeviceTensor targets, DeviceTensor dloss, DeviceTensor? dlogits, DeviceTensor? dtargets)
    {
        float[] x = logits.ToArray(), y = targets.ToArray();
        float k = ((CpuTensor)dloss).As<float>()[0] / x.Length;
        using Fp32Elements? lx = dlogits is null ? null : new Fp32Elements(dlogits, accumulate: true), ly = dtargets is null ? null : new Fp32Elements(dtargets, accumulate: true);
        float[]? gx = lx?.Values, gy = ly?.Values;
        for (int i = 0; i < x.Length; i++)
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
