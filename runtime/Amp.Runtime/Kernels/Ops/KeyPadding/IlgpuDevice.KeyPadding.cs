using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Attention's key-padding mask: the scores of padded keys set to -infinity before the softmax.
internal sealed partial class IlgpuDevice
{
    private protected override void MaskKeysCore(DeviceTensor scores, DeviceTensor mask, int outer, int rows, int keys)
    {
        using Fp32Copy s = new(this, scores, writeBack: true), m = new(this, mask);
        int threads = Threads(scores.Length);
        Kernel("maskkeys", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuModelKernels.MaskKeys))(
            threads, s.View, m.View, rows, keys, threads);
        Launched();
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>score[o, r, k] = -infinity where mask[o, k] is nonzero, element by element of the scores.</summary>
    public static void MaskKeys(Index1D index, ArrayView<float> scores, ArrayView<float> mask, int rows, int keys, int stride)
    {
        for (long i = index; i < scores.Length; i += stride)
        {
            long k = i % keys, o = i / ((long)keys * rows);
            if (mask[(o * keys) + k] != 0f)
            {
                scores[i] = float.NegativeInfinity;
            }
        }
    }
}
