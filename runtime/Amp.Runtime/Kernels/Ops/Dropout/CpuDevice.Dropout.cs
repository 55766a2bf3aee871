namespace Amp;

// Dropout on Cpu: the elements through FP32, each one's mask from its key.
internal sealed partial class CpuDevice
{
    private protected override void DropoutCore(DeviceTensor x, DeviceTensor y, float p, DropoutKey key)
    {
        using Fp32Elements input = new(x);
        float[] values = System.Buffers.ArrayPool<float>.Shared.Rent(x.Length);
        float scale = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++)
        {
            values[i] = key.Active == 0 ? input.Values[i] : key.Keep(i, p) ? input.Values[i] * scale : 0f;
        }

        ((CpuTensor)y).Write(0, values.AsSpan(0, x.Length));
        System.Buffers.ArrayPool<float>.Shared.Return(values);
    }

    private protected override void DropoutBackwardCore(DeviceTensor dy, DeviceTensor dx, float p, DropoutKey key)
    {
        using Fp32Elements g = new(dy), d = new(dx, accumulate: true);
        float scale = 1f / (1f - p);
        for (int i = 0; i < dx.Length; i++)
        {
            if (key.Active == 0 || key.Keep(i, p))
            {
                d.Values[i] += g.Values[i] * (key.Active == 0 ? 1f : scale);
            }
        }
    }
}
