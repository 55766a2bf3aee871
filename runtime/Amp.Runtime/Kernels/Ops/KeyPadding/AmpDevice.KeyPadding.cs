namespace Amp;

// Attention's key-padding mask: the scores of padded keys set to -infinity before the softmax. No backward of its own:
// the softmax gives a padded key probability 0, so its backward already gives those scores no gradient.
public abstract partial class AmpDevice
{
    /// <summary>
    /// Scores [outer, rows, keys] (rows = heads x queries): score[o, r, s] = -infinity where mask[o, s] is nonzero
    /// (PyTorch's key_padding_mask: true marks a padded key), in place.
    /// </summary>
    public void MaskKeys(DeviceTensor scores, DeviceTensor mask)
    {
        Owns(scores, nameof(scores));
        Owns(mask, nameof(mask));
        int keys = scores.Shape.Rank == 0 ? 0 : scores.Shape[-1];
        if (keys == 0 || mask.Length % keys != 0 || mask.Length == 0 || scores.Length % mask.Length != 0)
        {
            throw new ArgumentException($"MaskKeys needs a mask [outer, keys] for scores [outer, .., keys]; scores are {scores} and the mask {mask}.", nameof(mask));
        }

        MaskKeysCore(scores, mask, (int)(mask.Length / keys), (int)(scores.Length / mask.Length), keys);
    }

    private protected abstract void MaskKeysCore(DeviceTensor scores, DeviceTensor mask, int outer, int rows, int keys);
}
