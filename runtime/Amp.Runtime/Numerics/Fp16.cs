namespace Amp;

/// <summary>
/// Bulk conversions between float and IEEE binary16 (<see cref="System.Half"/>), vectorised, with exactly
/// the bits of the scalar casts <c>(Half)f</c> and <c>(float)h</c> for every input.
/// </summary>
public static class Fp16
{
    /// <summary>65504: the largest finite FP16 value.</summary>
    public const float MaxValue = 65504f;

    /// <summary>6.1035e-5 = 2^-14: the smallest positive normal FP16 value.</summary>
    public const float SmallestNormal = 6.103515625e-5f;

    /// <summary>5.96e-8 = 2^-24: the smallest positive subnormal FP16 value.</summary>
    public const float SmallestSubnormal = 5.9604644775390625e-8f;

    public static void FromFloats(ReadOnlySpan<float> source, Span<Half> destination)
    {
        SpanChecks.SameLength(source.Length, destination.Length, nameof(destination));
        HalfConvert.FromFloats(source, destination);
    }

    public static void ToFloats(ReadOnlySpan<Half> source, Span<float> destination)
    {
        SpanChecks.SameLength(source.Length, destination.Length, nameof(destination));
        HalfConvert.ToFloats(source, destination);
    }
}
