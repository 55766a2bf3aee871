using System.Globalization;
using System.Runtime.CompilerServices;

namespace Amp;

/// <summary>
/// A bfloat16 value: the upper 16 bits of an IEEE binary32. Conversion from float rounds to nearest,
/// ties to even (c10's round_to_nearest_even); every NaN becomes the canonical quiet NaN 0x7FC0;
/// infinities stay, finite values past 0x7F7F round to infinity, subnormals are kept.
/// Conversion to float is exact (a 16-bit shift).
/// </summary>
public readonly partial struct Bf16 : IEquatable<Bf16>
{
    /// <summary>The canonical NaN that every float NaN converts to.</summary>
    public const ushort NaNBits = 0x7FC0;

    private Bf16(ushort bits) => Bits = bits;

    /// <summary>The raw 16-bit pattern.</summary>
    public ushort Bits { get; }

    /// <summary>3.3895e38 (0x7F7F).</summary>
    public static Bf16 MaxValue => new(0x7F7F);

    /// <summary>2^-7 = 0.0078125: the distance from 1 to the next BF16 value.</summary>
    public static Bf16 Epsilon => new(0x3C00);

    public static Bf16 PositiveInfinity => new(0x7F80);
    public static Bf16 NegativeInfinity => new(0xFF80);
    public static Bf16 NaN => new(NaNBits);

    public static Bf16 FromBits(ushort bits) => new(bits);

    public static Bf16 FromFloat(float value) => new(RoundToBits(value));

    public float ToFloat() => BitConverter.Int32BitsToSingle(Bits << 16);

    /// <summary>float -> bf16 bits, round to nearest even, NaN -> 0x7FC0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort RoundToBits(float value)
    {
        if (float.IsNaN(value))
        {
            return NaNBits;
        }

        uint u = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }

    public static explicit operator Bf16(float value) => FromFloat(value);

    public static explicit operator float(Bf16 value) => value.ToFloat();

    public bool IsNaN => (Bits & 0x7FFF) > 0x7F80;

    /// <summary>Bitwise equality (so NaN equals the same NaN pattern, and +0 differs from -0).</summary>
    public bool Equals(Bf16 other) => Bits == other.Bits;

    public override bool Equals(object? obj) => obj is Bf16 other && Equals(other);

    public override int GetHashCode() => Bits;

    public override string ToString() => ToFloat().ToString(CultureInfo.InvariantCulture);
}
