using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>
/// Vectorised float &lt;-&gt; IEEE binary16 with the bits of System.Half's scalar casts for every input.
/// float -> half, per lane, on a = |bits|:
///   a >= 65520 (0x477FF000) and not NaN -> 0x7C00 (65520 is the first value that rounds to inf);
///   a >= 2^-14 (0x38800000): rebias the exponent (-112 &lt;&lt; 23) and round the 13 dropped bits to nearest even;
///   below: |f| + 0.5f puts round-to-nearest-even(|f| * 2^24) in the float's low bits (the FPU rounds);
///   NaN: quiet, keeps the sign and the top 9 payload bits.
/// half -> float: shift the 15 magnitude bits up 13 and rebias; inf/NaN rebias twice; subnormals are
/// normalised by one float subtraction (exact).
/// </summary>
internal static class HalfConvert
{
    private const uint SubnormalLimit = 0x38800000;   // 2^-14 as float bits
    private const uint OverflowLimit = 0x477FF000;    // 65520
    private const uint FloatInfinity = 0x7F800000;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromFloats(ReadOnlySpan<float> source, Span<Half> destination)
    {
        Span<ushort> bits = MemoryMarshal.Cast<Half, ushort>(destination);
        int done = Vector512.IsHardwareAccelerated ? FromFloats512(source, bits)
            : Vector256.IsHardwareAccelerated ? FromFloats256(source, bits)
            : 0;
        for (int i = done; i < source.Length; i++)
        {
            destination[i] = (Half)source[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToFloats(ReadOnlySpan<Half> source, Span<float> destination)
    {
        ReadOnlySpan<ushort> bits = MemoryMarshal.Cast<Half, ushort>(source);
        int done = Vector512.IsHardwareAccelerated ? ToFloats512(bits, destination)
            : Vector256.IsHardwareAccelerated ? ToFloats256(bits, destination)
            : 0;
        for (int i = done; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    internal static int FromFloats256(ReadOnlySpan<float> source, Span<ushort> destination)
        => VectorLoops.Narrow256<HalfRounding>(source, destination);

    internal static int FromFloats512(ReadOnlySpan<float> source, Span<ushort> destination)
        => VectorLoops.Narrow512<HalfRounding>(source, destination);

    internal static int ToFloats256(ReadOnlySpan<ushort> source, Span<float> destination)
        => VectorLoops.Widen256<HalfExpansion>(source, destination);

    internal static int ToFloats512(ReadOnlySpan<ushort> source, Span<float> destination)
        => VectorLoops.Widen512<HalfExpansion>(source, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Round(Vector256<float> value)
    {
        Vector256<uint> u = value.AsUInt32();
        Vector256<uint> a = u & Vector256.Create(0x7FFFFFFFu);
        Vector256<int> ai = a.AsInt32();   // a < 2^31, so signed compares are exact and cheap on AVX2
        Vector256<uint> sign = Vector256.ShiftRightLogical(u, 16) & Vector256.Create(0x8000u);

        Vector256<uint> lsb = Vector256.ShiftRightLogical(a, 13) & Vector256<uint>.One;
        Vector256<uint> normal = Vector256.ShiftRightLogical(a - Vector256.Create(0x38000000u - 0xFFFu) + lsb, 13);
        Vector256<uint> subnormal = (a.AsSingle() + Vector256.Create(0.5f)).AsUInt32() - Vector256.Create(0x3F000000u);
        Vector256<uint> nan = Vector256.Create(0x7E00u) | (Vector256.ShiftRightLogical(a, 13) & Vector256.Create(0x1FFu));

        Vector256<uint> result = Vector256.ConditionalSelect(
            Vector256.LessThan(ai, Vector256.Create((int)SubnormalLimit)).AsUInt32(), subnormal, normal);
        result = Vector256.ConditionalSelect(
            Vector256.GreaterThanOrEqual(ai, Vector256.Create((int)OverflowLimit)).AsUInt32(), Vector256.Create(0x7C00u), result);
        result = Vector256.ConditionalSelect(
            Vector256.GreaterThan(ai, Vector256.Create((int)FloatInfinity)).AsUInt32(), nan, result);
        return result | sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Round(Vector512<float> value)
    {
        Vector512<uint> u = value.AsUInt32();
        Vector512<uint> a = u & Vector512.Create(0x7FFFFFFFu);
        Vector512<int> ai = a.AsInt32();
        Vector512<uint> sign = Vector512.ShiftRightLogical(u, 16) & Vector512.Create(0x8000u);

        Vector512<uint> lsb = Vector512.ShiftRightLogical(a, 13) & Vector512<uint>.One;
        Vector512<uint> normal = Vector512.ShiftRightLogical(a - Vector512.Create(0x38000000u - 0xFFFu) + lsb, 13);
        Vector512<uint> subnormal = (a.AsSingle() + Vector512.Create(0.5f)).AsUInt32() - Vector512.Create(0x3F000000u);
        Vector512<uint> nan = Vector512.Create(0x7E00u) | (Vector512.ShiftRightLogical(a, 13) & Vector512.Create(0x1FFu));

        Vector512<uint> result = Vector512.ConditionalSelect(
            Vector512.LessThan(ai, Vector512.Create((int)SubnormalLimit)).AsUInt32(), subnormal, normal);
        result = Vector512.ConditionalSelect(
            Vector512.GreaterThanOrEqual(ai, Vector512.Create((int)OverflowLimit)).AsUInt32(), Vector512.Create(0x7C00u), result);
        result = Vector512.ConditionalSelect(
            Vector512.GreaterThan(ai, Vector512.Create((int)FloatInfinity)).AsUInt32(), nan, result);
        return result | sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Expand(Vector256<uint> h)
    {
        Vector256<uint> o = Vector256.ShiftLeft(h & Vector256.Create(0x7FFFu), 13);
        Vector256<uint> exponent = o & Vector256.Create(0x0F800000u);
        o += Vector256.Create(0x38000000u);
        Vector256<uint> infOrNaN = Vector256.Equals(exponent, Vector256.Create(0x0F800000u));
        o += infOrNaN & Vector256.Create(0x38000000u);
        // NaN stays quiet, as System.Half makes it.
        o |= infOrNaN & Vector256.Create(0x00400000u) & ~Vector256.Equals(o, Vector256.Create(FloatInfinity));
        Vector256<uint> zeroOrSubnormal = Vector256.Equals(exponent, Vector256<uint>.Zero);
        Vector256<uint> normalised = ((o + Vector256.Create(0x00800000u)).AsSingle() - Vector256.Create(SubnormalLimit).AsSingle()).AsUInt32();
        o = Vector256.ConditionalSelect(zeroOrSubnormal, normalised, o);
        return (o | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Expand(Vector512<uint> h)
    {
        Vector512<uint> o = Vector512.ShiftLeft(h & Vector512.Create(0x7FFFu), 13);
        Vector512<uint> exponent = o & Vector512.Create(0x0F800000u);
        o += Vector512.Create(0x38000000u);
        Vector512<uint> infOrNaN = Vector512.Equals(exponent, Vector512.Create(0x0F800000u));
        o += infOrNaN & Vector512.Create(0x38000000u);
        o |= infOrNaN & Vector512.Create(0x00400000u) & ~Vector512.Equals(o, Vector512.Create(FloatInfinity));
        Vector512<uint> zeroOrSubnormal = Vector512.Equals(exponent, Vector512<uint>.Zero);
        Vector512<uint> normalised = ((o + Vector512.Create(0x00800000u)).AsSingle() - Vector512.Create(SubnormalLimit).AsSingle()).AsUInt32();
        o = Vector512.ConditionalSelect(zeroOrSubnormal, normalised, o);
        return (o | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
    }
}

internal readonly struct HalfRounding : INarrowingOp
{
    public static Vector256<uint> Apply(Vector256<float> value) => HalfConvert.Round(value);

    public static Vector512<uint> Apply(Vector512<float> value) => HalfConvert.Round(value);
}

internal readonly struct HalfExpansion : IWideningOp
{
    public static Vector256<float> Apply(Vector256<uint> bits) => HalfConvert.Expand(bits);

    public static Vector512<float> Apply(Vector512<uint> bits) => HalfConvert.Expand(bits);
}
