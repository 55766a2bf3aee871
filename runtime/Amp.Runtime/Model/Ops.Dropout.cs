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

/// <summary>
/// PyTorch's nn.Dropout as a layer field (<c>readonly Dropout drop = new(0.1f);</c>, <c>drop.Apply(x)</c>): the same op as
/// <see cref="Ops.Dropout(Tensor, float)"/>, with no weights. Active in <c>TrainStep</c>, the identity in eval mode.
/// </summary>
public sealed class Dropout : Layer
{
    public Dropout(float p = 0.5f)
    {
        P = p >= 0f && p < 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout's probability must be in [0, 1).");
    }

    /// <summary>The probability of zeroing an element in training.</summary>
    public float P { get; }

    public override IReadOnlyList<LayerParameter> Parameters => [];

    public override void ResetParameters()
    {
    }

    /// <summary>Eager FP64: the identity (the reference draws no masks; see <see cref="Ops.Dropout(Tensor, float)"/>).</summary>
    public Tensor Apply(Tensor x) => Ops.Dropout(x, P);
}
