namespace Amp.Tests.Numerics;

/// <summary>Float bit patterns that cover every class: a stride through all 2^32 patterns plus, for every
/// upper half-word, the low half-words around the BF16 rounding point, and the FP16 range edges.</summary>
internal static class FloatPatterns
{
    /// <summary>2^32 / 257 ≈ 16.7 million patterns; 257 is odd, so every low bit position is hit.</summary>
    public static uint[] Strided(uint step = 257)
    {
        var values = new uint[(int)(0x1_0000_0000UL / step) + 1];
        ulong u = 0;
        for (int i = 0; i < values.Length; i++, u += step)
        {
            values[i] = (uint)u;
        }

        return values;
    }

    /// <summary>For each of the 65536 upper halves: exact, ties, one below and above a tie, the largest low half.</summary>
    public static uint[] BoundaryNeighbourhoods()
    {
        uint[] lows = [0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF];
        var values = new uint[65536 * lows.Length];
        int k = 0;
        for (uint upper = 0; upper < 65536; upper++)
        {
            foreach (uint low in lows)
            {
                values[k++] = (upper << 16) | low;
            }
        }

        return values;
    }

    /// <summary>Every float within ±4096 ulps of the FP16 edges (overflow at 65520, max, smallest normal and subnormal, ties).</summary>
    public static uint[] HalfEdges()
    {
        float[] anchors = [65520f, 65504f, 6.103515625e-5f, 5.9604644775390625e-8f, 2.98e-8f, 1f, 2049f, 0f];
        var values = new List<uint>();
        foreach (float anchor in anchors)
        {
            uint centre = BitConverter.SingleToUInt32Bits(anchor);
            for (long d = -4096; d <= 4096; d++)
            {
                long u = centre + d;
                if (u is >= 0 and <= 0x7FFFFFFF)
                {
                    values.Add((uint)u);
                    values.Add((uint)u | 0x80000000u);
                }
            }
        }

        return [.. values];
    }

    public static float[] AsFloats(uint[] bits) => bits.Select(BitConverter.UInt32BitsToSingle).ToArray();
}
