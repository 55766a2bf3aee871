using System.Runtime.InteropServices;

namespace Amp.Tests.Numerics;

public class Fp16Tests
{
    [Fact]
    public void Every_fp16_pattern_converts_to_float_with_the_scalar_bits_on_every_width()
    {
        ushort[] bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        Half[] halves = MemoryMarshal.Cast<ushort, Half>(bits).ToArray();
        float[] bulk = new float[bits.Length], v256 = new float[bits.Length], v512 = new float[bits.Length];
        Fp16.ToFloats(halves, bulk);
        Assert.Equal(bits.Length, HalfConvert.ToFloats256(bits, v256));
        Assert.Equal(bits.Length, HalfConvert.ToFloats512(bits, v512));
        for (int i = 0; i < bits.Length; i++)
        {
            uint expected = BitConverter.SingleToUInt32Bits((float)halves[i]);
            Assert.True(expected == BitConverter.SingleToUInt32Bits(bulk[i]), $"bulk 0x{i:X4}");
            Assert.True(expected == BitConverter.SingleToUInt32Bits(v256[i]), $"v256 0x{i:X4}: 0x{expected:X8} vs 0x{BitConverter.SingleToUInt32Bits(v256[i]):X8}");
            Assert.True(expected == BitConverter.SingleToUInt32Bits(v512[i]), $"v512 0x{i:X4}");
        }
    }

    [Fact]
    public void Every_finite_fp16_value_survives_the_round_trip()
    {
        for (int i = 0; i < 65536; i++)
        {
            Half h = BitConverter.UInt16BitsToHalf((ushort)i);
            float[] f = [(float)h];
            var back = new Half[1];
            Fp16.FromFloats(f, back);
            if (!Half.IsNaN(h))
            {
                Assert.Equal((ushort)i, BitConverter.HalfToUInt16Bits(back[0]));
            }
        }
    }

    public static TheoryData<string> PatternSets => new() { "strided", "boundaries", "half-edges" };

    [Theory]
    [MemberData(nameof(PatternSets))]
    public void Float_to_fp16_matches_System_Half_on_every_width(string set)
    {
        uint[] bits = set switch
        {
            "strided" => FloatPatterns.Strided(),
            "boundaries" => FloatPatterns.BoundaryNeighbourhoods(),
            _ => FloatPatterns.HalfEdges(),
        };
        float[] floats = FloatPatterns.AsFloats(bits);
        ushort[] v256 = new ushort[bits.Length], v512 = new ushort[bits.Length];
        var bulk = new Half[bits.Length];
        int done256 = HalfConvert.FromFloats256(floats, v256);
        int done512 = HalfConvert.FromFloats512(floats, v512);
        Fp16.FromFloats(floats, bulk);
        for (int i = 0; i < bits.Length; i++)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)floats[i]);
            ushort got256 = i < done256 ? v256[i] : expected;
            ushort got512 = i < done512 ? v512[i] : expected;
            ushort gotBulk = BitConverter.HalfToUInt16Bits(bulk[i]);
            if (got256 != expected || got512 != expected || gotBulk != expected)
            {
                Assert.Fail($"0x{bits[i]:X8}: System.Half 0x{expected:X4}, v256 0x{got256:X4}, v512 0x{got512:X4}, bulk 0x{gotBulk:X4}");
            }
        }
    }

    [Theory]
    [InlineData(65504f, (ushort)0x7BFF)]
    [InlineData(65519.996f, (ushort)0x7BFF)]
    [InlineData(65520f, (ushort)0x7C00)]   // the reference file: 65520 rounds to inf
    [InlineData(1e-8f, (ushort)0x0000)]    // the reference file: 1e-8 rounds to 0
    [InlineData(2049f, (ushort)0x6800)]    // 2049 is a tie between 2048 and 2050: to even, 2048
    public void Reference_file_fp16_facts_hold(float value, ushort expected)
    {
        var dst = new Half[16];
        Fp16.FromFloats(Enumerable.Repeat(value, 16).ToArray(), dst);
        Assert.All(dst, h => Assert.Equal(expected, BitConverter.HalfToUInt16Bits(h)));
    }
}

public class HalfBitsTests
{
    [Fact]
    public void Kernel_side_scalar_conversions_match_System_Half()
    {
        for (int i = 0; i < 65536; i++)
        {
            Half h = BitConverter.UInt16BitsToHalf((ushort)i);
            Assert.Equal(BitConverter.SingleToUInt32Bits((float)h), HalfBits.ToFloatBits((ushort)i));
        }

        foreach (uint bits in FloatPatterns.Strided(1021).Concat(FloatPatterns.HalfEdges()).Concat(FloatPatterns.BoundaryNeighbourhoods()))
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)BitConverter.UInt32BitsToSingle(bits));
            ushort actual = HalfBits.FromFloatBits(bits);
            if (expected != actual)
            {
                Assert.Fail($"0x{bits:X8}: System.Half 0x{expected:X4}, HalfBits 0x{actual:X4}");
            }
        }
    }
}
