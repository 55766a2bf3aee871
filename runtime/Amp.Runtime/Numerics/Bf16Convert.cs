using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>
/// Vectorised float &lt;-&gt; bf16. The vector bodies are the scalar formula lane by lane, so they give the
/// scalar path's bits for every input (the tests check all of them against <see cref="Bf16.RoundToBits"/>).
/// Each width is its own method so tests can run the Vector512 body even where it is emulated.
/// </summary>
internal static class Bf16Convert
{
    public static void FromFloats(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        int done = Vector512.IsHardwareAccelerated ? FromFloats512(source, destination)
            : Vector256.IsHardwareAccelerated ? FromFloats256(source, destination)
            : 0;
        FromFloatsScalar(source[done..], destination[done..]);
    }

    public static void ToFloats(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int done = Vector512.IsHardwareAccelerated ? ToFloats512(source, destination)
            : Vector256.IsHardwareAccelerated ? ToFloats256(source, destination)
            : 0;
        ToFloatsScalar(source[done..], destination[done..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FromFloatsScalar(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = Bf16.RoundToBits(source[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToFloatsScalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
        }
    }

    /// <summary>Converts whole blocks of 16 and returns how many elements it did.</summary>
    internal static int FromFloats256(ReadOnlySpan<float> source, Span<ushort> destination)
        => VectorLoops.Narrow256<Bf16Rounding>(source, destination);

    internal static int FromFloats512(ReadOnlySpan<float> source, Span<ushort> destination)
        => VectorLoops.Narrow512<Bf16Rounding>(source, destination);

    internal static int ToFloats256(ReadOnlySpan<ushort> source, Span<float> destination)
        => VectorLoops.Widen256<Bf16Expansion>(source, destination);

    internal static int ToFloats512(ReadOnlySpan<ushort> source, Span<float> destination)
        => VectorLoops.Widen512<Bf16Expansion>(source, destination);

    // (u + 0x7FFF + ((u >> 16) & 1)) >> 16, NaN lanes -> 0x7FC0; the result sits in the low 16 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Round(Vector256<float> value)
    {
        Vector256<uint> u = value.AsUInt32();
        Vector256<uint> lsb = Vector256.ShiftRightLogical(u, 16) & Vector256<uint>.One;
        Vector256<uint> rounded = Vector256.ShiftRightLogical(u + Vector256.Create(0x7FFFu) + lsb, 16);
        Vector256<uint> isNaN = ~Vector256.Equals(value, value).AsUInt32();
        return Vector256.ConditionalSelect(isNaN, Vector256.Create((uint)Bf16.NaNBits), rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Round(Vector512<float> value)
    {
        Vector512<uint> u = value.AsUInt32();
        Vector512<uint> lsb = Vector512.ShiftRightLogical(u, 16) & Vector512<uint>.One;
        Vector512<uint> rounded = Vector512.ShiftRightLogical(u + Vector512.Create(0x7FFFu) + lsb, 16);
        Vector512<uint> isNaN = ~Vector512.Equals(value, value).AsUInt32();
        return Vector512.ConditionalSelect(isNaN, Vector512.Create((uint)Bf16.NaNBits), rounded);
    }
}

internal readonly struct Bf16Rounding : INarrowingOp
{
    public static Vector256<uint> Apply(Vector256<float> value) => Bf16Convert.Round(value);

    public static Vector512<uint> Apply(Vector512<float> value) => Bf16Convert.Round(value);
}

internal readonly struct Bf16Expansion : IWideningOp
{
    public static Vector256<float> Apply(Vector256<uint> bits) => Vector256.ShiftLeft(bits, 16).AsSingle();

    public static Vector512<float> Apply(Vector512<uint> bits) => Vector512.ShiftLeft(bits, 16).AsSingle();
}
