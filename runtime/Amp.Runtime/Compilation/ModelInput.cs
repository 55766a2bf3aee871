namespace Amp.Compilation;

/// <summary>What a definition parameter holds.</summary>
public enum InputKind
{
    /// <summary>A <c>Tensor</c>: float features.</summary>
    Features,

    /// <summary><c>Tokens</c>: integer ids in [0, Limit).</summary>
    Tokens,

    /// <summary><c>Labels</c>: integer classes in [0, Limit), read by the [Loss] method only.</summary>
    Labels,
}

/// <summary>
/// An input of a compiled model as the generator declared it: the per-sample shape (the dimensions after the
/// batch), for ids the exclusive upper limit, and whether only the [Loss] method reads it (labels, targets).
/// </summary>
public sealed record ModelInput(string Name, InputKind Kind, int[] SampleShape, int Limit = 0, bool LossOnly = false)
{
    /// <summary>
    /// Labels: the class id <c>CrossEntropy(.., ignoreIndex:)</c> skips, accepted although outside [0, Limit); PyTorch's
    /// default, -100, when the loss does not name one.
    /// </summary>
    public int Ignore { get; init; } = -100;

    internal int SampleLength => SampleShape.Aggregate(1, (a, b) => a * b);

    internal string Describe(string batch) => $"[{string.Join(", ", new[] { batch }.Concat(SampleShape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))))}]";
}
