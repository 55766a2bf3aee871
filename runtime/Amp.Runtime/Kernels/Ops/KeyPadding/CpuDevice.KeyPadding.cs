namespace Amp;

// Attention's key-padding mask: the scores of padded keys set to -infinity before the softmax.
internal sealed partial class CpuDevice
{
    private protected override void MaskKeysCore(DeviceTensor scores, DeviceTensor mask, int outer, int rows, int keys)
    {
        using Fp32Elements m = new(mask), s = new(scores, accumulate: true);
        float[] padded = m.Values, values = s.Values;
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < keys; k++)
            {
                if (padded[(o * keys) + k] == 0f)
                {
                    continue;
                }

                for (int r = 0; r < rows; r++)
                {
                    values[(((long)o * rows) + r) * keys + k] = float.NegativeInfinity;
                }
            }
        }
    }
}
