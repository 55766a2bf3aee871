using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Amp;

/// <summary>
/// float &lt;-&gt; storage element for the host element types float, <see cref="Bf16"/> and <see cref="Half"/>.
/// The typeof checks are JIT-time constants for value types, so each instantiation keeps one branch.
/// </summary>
internal static class HostStorage
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ToFloats<T>(ReadOnlySpan<T> source, Span<float> destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            MemoryMarshal.Cast<T, float>(source).CopyTo(destination);
        }
        else if (typeof(T) == typeof(Bf16))
        {
            Bf16Convert.ToFloats(MemoryMarshal.Cast<T, ushort>(source), destination);
        }
        else if (typeof(T) == typeof(Half))
        {
            HalfConvert.ToFloats(MemoryMarshal.Cast<T, Half>(source), destination);
        }
        else
        {
            throw new NotSupportedException($"No float conversion for {typeof(T)}.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FromFloats<T>(ReadOnlySpan<float> source, Span<T> destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            source.CopyTo(MemoryMarshal.Cast<T, float>(destination));
        }
        else if (typeof(T) == typeof(Bf16))
        {
            Bf16Convert.FromFloats(source, MemoryMarshal.Cast<T, ushort>(destination));
        }
        else if (typeof(T) == typeof(Half))
        {
            HalfConvert.FromFloats(source, MemoryMarshal.Cast<T, Half>(destination));
        }
        else
        {
            throw new NotSupportedException($"No float conversion for {typeof(T)}.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat<T>(T value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Unsafe.As<T, float>(ref value);
        }

        if (typeof(T) == typeof(Bf16))
        {
            return BitConverter.Int32BitsToSingle(Unsafe.As<T, ushort>(ref value) << 16);
        }

        if (typeof(T) == typeof(Half))
        {
            return (float)Unsafe.As<T, Half>(ref value);
        }

        throw new NotSupportedException($"No float conversion for {typeof(T)}.");
    }
}
