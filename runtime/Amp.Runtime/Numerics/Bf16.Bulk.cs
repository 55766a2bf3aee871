using System.Runtime.InteropServices;

namespace Amp;

public readonly partial struct Bf16
{
    /// <summary>Converts floats to BF16 with the same bits as <see cref="FromFloat"/>, vectorised.</summary>
    public static void FromFloats(ReadOnlySpan<float> source, Span<Bf16> destination) =>
        FromFloats(source, MemoryMarshal.Cast<Bf16, ushort>(destination));

    /// <summary>Converts floats to BF16 bit patterns with the same bits as <see cref="RoundToBits"/>, vectorised.</summary>
    public static void FromFloats(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        SpanChecks.SameLength(source.Length, destination.Length, nameof(destination));
        Bf16Convert.FromFloats(source, destination);
    }

    /// <summary>Converts BF16 to floats exactly, vectorised.</summary>
    public static void ToFloats(ReadOnlySpan<Bf16> source, Span<float> destination) =>
        ToFloats(MemoryMarshal.Cast<Bf16, ushort>(source), destination);

    /// <summary>Converts BF16 bit patterns to floats exactly, vectorised.</summary>
    public static void ToFloats(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        SpanChecks.SameLength(source.Length, destination.Length, nameof(destination));
        Bf16Convert.ToFloats(source, destination);
    }
}
