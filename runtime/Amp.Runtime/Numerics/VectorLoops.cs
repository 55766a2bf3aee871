using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>A lane-wise float -> 16-bit pattern conversion (result in the low 16 bits of each lane).</summary>
internal interface INarrowingOp
{
    static abstract Vector256<uint> Apply(Vector256<float> value);

    static abstract Vector512<uint> Apply(Vector512<float> value);
}

/// <summary>A lane-wise 16-bit pattern (zero-extended) -> float conversion.</summary>
internal interface IWideningOp
{
    static abstract Vector256<float> Apply(Vector256<uint> bits);

    static abstract Vector512<float> Apply(Vector512<uint> bits);
}

/// <summary>
/// The loops shared by the bulk converters: whole blocks of two vectors per trip, returning how many
/// elements they did so the caller finishes the tail with its scalar path.
/// </summary>
internal static class VectorLoops
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Narrow256<TOp>(ReadOnlySpan<float> source, Span<ushort> destination)
        where TOp : INarrowingOp
    {
        ref float src = ref MemoryMarshal.GetReference(source);
        ref ushort dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - 16; i += 16)
        {
            Vector256<uint> lo = TOp.Apply(Vector256.LoadUnsafe(ref src, (nuint)i));
            Vector256<uint> hi = TOp.Apply(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)));
            Vector256.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Narrow512<TOp>(ReadOnlySpan<float> source, Span<ushort> destination)
        where TOp : INarrowingOp
    {
        ref float src = ref MemoryMarshal.GetReference(source);
        ref ushort dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - 32; i += 32)
        {
            Vector512<uint> lo = TOp.Apply(Vector512.LoadUnsafe(ref src, (nuint)i));
            Vector512<uint> hi = TOp.Apply(Vector512.LoadUnsafe(ref src, (nuint)(i + 16)));
            Vector512.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Widen256<TOp>(ReadOnlySpan<ushort> source, Span<float> destination)
        where TOp : IWideningOp
    {
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - 16; i += 16)
        {
            (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
            TOp.Apply(lo).StoreUnsafe(ref dst, (nuint)i);
            TOp.Apply(hi).StoreUnsafe(ref dst, (nuint)(i + 8));
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Widen512<TOp>(ReadOnlySpan<ushort> source, Span<float> destination)
        where TOp : IWideningOp
    {
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - 32; i += 32)
        {
            (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));
            TOp.Apply(lo).StoreUnsafe(ref dst, (nuint)i);
            TOp.Apply(hi).StoreUnsafe(ref dst, (nuint)(i + 16));
        }

        return i;
    }
}
