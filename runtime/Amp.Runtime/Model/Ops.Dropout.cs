namespace Amp;

// Dropout, eager FP64: the reference is the model in eval mode, where Dropout is the identity (training-mode masks
// are checked against finite differences of the compiled model's own EvaluateTrainMode).
public static partial class Ops
{
    /// <summary>Zeroes each element with probability <paramref name="p"/> in training and scales the rest by 1/(1 - p); the identity in eval mode (as here).</summary>
    public static Tensor Dropout(Tensor x, float p)
    {
        ArgumentNullException.ThrowIfNull(x);
        return p >= 0f && p < 1f ? x : throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout's probability must be in [0, 1).");
    }
}
