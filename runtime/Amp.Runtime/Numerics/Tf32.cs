using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Amp;

/// <summary>
/// TF32 (NVIDIA's TensorFloat-32: FP32's 8-bit exponent, 10 mantissa bits) as Amp uses it for FP32 products under
/// <c>[Autocast(.., Tf32 = true)]</c>: each FP32 operand is rounded to TF32, products accumulate in FP32. The rounding is
/// PTX's <c>cvt.rna.tf32.f32</c> (sm_80), round to nearest with ties away from zero, kept in an FP32 container with the
/// 13 low mantissa bits zero: add half of the dropped range to the bits, then clear it. A carry out of the mantissa
/// moves to the next binade, and past the largest finite TF32 value to infinity, as rounding should; infinities stay;
/// NaN stays NaN (quiet, sign kept). Values already exact in TF32 (every BF16 and FP16 value among them) are unchanged.
/// </summary>
public static class Tf32
{
    /// <summary>The 13 mantissa bits TF32 drops.</summary>
    internal const uint DroppedBits = 0x1FFF;

    /// <summary>The rounding of <paramref name="bits"/> (an FP32 pattern) to TF32, as an FP32 pattern. Usable in ILGPU kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RoundBits(uint bits) =>
        (bits & 0x7FFFFFFFu) > 0x7F800000u
            ? (bits & ~DroppedBits) | 0x00400000u     // NaN: quiet, and no rounding carry into the sign
            : (bits + 0x1000u) & ~DroppedBits;        // ties away from zero: sign-magnitude, the carry grows |x|

    /// <summary>x rounded to TF32 (round to nearest, ties away from zero), in FP32.</summary>
    public static float Round(float x) => BitConverter.UInt32BitsToSingle(RoundBits(BitConverter.SingleToUInt32Bits(x)));

    /// <summary>Rounds every value in place to TF32; vectorised, the same bits as <see cref="Round(float)"/>.</summary>
    public static void Round(Span<float> values)
    {
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var half = new Vector<uint>(0x1000u);
            var keep = new Vector<uint>(~DroppedBits);
            var magnitude = new Vector<uint>(0x7FFFFFFFu);
            var infinity = new Vector<uint>(0x7F800000u);
            var quiet = new Vector<uint>(0x00400000u);
            for (; i <= bits.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                var u = new Vector<uint>(bits[i..]);
                Vector<uint> nan = Vector.GreaterThan(u & magnitude, infinity);
                Vector.ConditionalSelect(nan, (u & keep) | quiet, (u + half) & keep).CopyTo(bits[i..]);
            }
        }

        for (; i < bits.Length; i++)
        {
            bits[i] = RoundBits(bits[i]);
        }
    }
}
