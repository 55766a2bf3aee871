namespace Amp;

/// <summary>
/// Scalar float &lt;-&gt; binary16 on bit patterns, integer operations only, so ILGPU kernels can use it on
/// every backend. ILGPU.Half's own float conversion does not round to nearest even on the CPU simulator
/// (it was off by one ulp in tests), so kernels go through these and give System.Half's bits.
/// </summary>
internal static class HalfBits
{
    public static ushort FromFloatBits(uint u)
    {
        uint sign = (u >> 16) & 0x8000u;
        uint a = u & 0x7FFFFFFFu;
        if (a > 0x7F800000u)
        {
            return (ushort)(sign | 0x7E00u | ((a >> 13) & 0x1FFu));   // quiet NaN, top payload bits kept
        }

        if (a >= 0x477FF000u)
        {
            return (ushort)(sign | 0x7C00u);                          // 65520 and above round to inf
        }

        if (a >= 0x38800000u)
        {
            return (ushort)(sign | ((a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13));
        }

        // Below 2^-14: the half is round(|f| * 2^24), a subnormal (or the smallest normal after rounding).
        int shift = 126 - (int)(a >> 23);
        if (shift > 24)
        {
            return (ushort)sign;
        }

        uint mantissa = (a & 0x7FFFFFu) | 0x800000u;
        uint q = mantissa >> shift;
        uint rest = mantissa & ((1u << shift) - 1u);
        uint halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (q & 1u) != 0))
        {
            q++;
        }

        return (ushort)(sign | q);
    }

    public static uint ToFloatBits(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        int exponent = (h >> 10) & 0x1F;
        uint mantissa = h & 0x3FFu;
        if (exponent == 0x1F)
        {
            return sign | 0x7F800000u | (mantissa << 13) | (mantissa != 0 ? 0x400000u : 0u);
        }

        if (exponent == 0)
        {
            if (mantissa == 0)
            {
                return sign;
            }

            exponent = 1;
            while ((mantissa & 0x400u) == 0)
            {
                mantissa <<= 1;
                exponent--;
            }

            mantissa &= 0x3FFu;
        }

        return sign | ((uint)(exponent + 112) << 23) | (mantissa << 13);
    }
}
