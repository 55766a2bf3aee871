namespace Amp.Tests.Numerics;

public class Bf16Tests
{
    /// <summary>The plainly written reference: keep the upper half, look at the dropped half, round half to even.</summary>
    private static ushort ReferenceRound(uint u)
    {
        bool isNaN = (u & 0x7F800000) == 0x7F800000 && (u & 0x007FFFFF) != 0;
        if (isNaN)
        {
            return 0x7FC0;
        }

        uint upper = u >> 16;
        uint dropped = u & 0xFFFF;
        bool roundUp = dropped > 0x8000 || (dropped == 0x8000 && (upper & 1) == 1);
        return (ushort)(roundUp ? upper + 1 : upper);
    }

    [Theory]
    [InlineData(0x3F848000u, (ushort)0x3F84)]
    [InlineData(0x3F848010u, (ushort)0x3F85)]
    [InlineData(0x3F850000u, (ushort)0x3F85)]
    [InlineData(0x3F858000u, (ushort)0x3F86)]
    [InlineData(0x3FFF8000u, (ushort)0x4000)]
    [InlineData(0x7F800000u, (ushort)0x7F80)]   // +inf kept
    [InlineData(0xFF800000u, (ushort)0xFF80)]   // -inf kept
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)]   // float max overflows to inf
    [InlineData(0x7F7F7FFFu, (ushort)0x7F7F)]   // just below the tie stays at bf16 max
    [InlineData(0x7F800001u, (ushort)0x7FC0)]   // signalling NaN -> canonical
    [InlineData(0xFFC00000u, (ushort)0x7FC0)]   // negative quiet NaN -> canonical
    [InlineData(0x00010000u, (ushort)0x0001)]   // smallest bf16 subnormal kept
    [InlineData(0x00008000u, (ushort)0x0000)]   // tie to even at the bottom
    [InlineData(0x80000000u, (ushort)0x8000)]   // -0 kept
    public void FromFloat_matches_c10_vectors_and_special_cases(uint floatBits, ushort expected)
    {
        Assert.Equal(expected, Bf16.FromFloat(BitConverter.UInt32BitsToSingle(floatBits)).Bits);
    }

    [Fact]
    public void Every_bf16_pattern_converts_to_float_and_back_unchanged()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = (ushort)i;
        }

        var floats = new float[65536];
        Bf16.ToFloats(bits, floats);
        var back = new ushort[65536];
        Bf16.FromFloats(floats, back);
        for (int i = 0; i < bits.Length; i++)
        {
            Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(floats[i]));
            ushort expected = Bf16.FromBits((ushort)i).IsNaN ? Bf16.NaNBits : (ushort)i;
            Assert.Equal(expected, back[i]);
        }
    }

    [Fact]
    public void Every_width_of_bf16_to_float_gives_the_scalar_bits()
    {
        ushort[] bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        float[] scalar = new float[bits.Length], v256 = new float[bits.Length], v512 = new float[bits.Length];
        Bf16Convert.ToFloatsScalar(bits, scalar);
        Assert.Equal(bits.Length, Bf16Convert.ToFloats256(bits, v256));
        Assert.Equal(bits.Length, Bf16Convert.ToFloats512(bits, v512));
        Assert.Equal(scalar, v256);
        Assert.Equal(scalar, v512);
    }

    public static TheoryData<string> PatternSets => new() { "strided", "boundaries", "half-edges" };

    /// <summary>16.7M strided patterns + 393K rounding neighbourhoods: scalar, Vector256 and Vector512 bodies against the reference.</summary>
    [Theory]
    [MemberData(nameof(PatternSets))]
    public void Float_to_bf16_matches_the_reference_on_every_path(string set)
    {
        uint[] bits = set switch
        {
            "strided" => FloatPatterns.Strided(),
            "boundaries" => FloatPatterns.BoundaryNeighbourhoods(),
            _ => FloatPatterns.HalfEdges(),
        };
        float[] floats = FloatPatterns.AsFloats(bits);
        ushort[] scalar = new ushort[bits.Length], v256 = new ushort[bits.Length], v512 = new ushort[bits.Length], bulk = new ushort[bits.Length];
        Bf16Convert.FromFloatsScalar(floats, scalar);
        int done256 = Bf16Convert.FromFloats256(floats, v256);
        Bf16Convert.FromFloatsScalar(floats.AsSpan(done256), v256.AsSpan(done256));
        int done512 = Bf16Convert.FromFloats512(floats, v512);
        Bf16Convert.FromFloatsScalar(floats.AsSpan(done512), v512.AsSpan(done512));
        Bf16.FromFloats(floats, bulk);

        for (int i = 0; i < bits.Length; i++)
        {
            ushort expected = ReferenceRound(bits[i]);
            if (scalar[i] != expected || v256[i] != expected || v512[i] != expected || bulk[i] != expected)
            {
                Assert.Fail($"0x{bits[i]:X8}: reference 0x{expected:X4}, scalar 0x{scalar[i]:X4}, v256 0x{v256[i]:X4}, v512 0x{v512[i]:X4}, bulk 0x{bulk[i]:X4}");
            }
        }
    }

    [Fact]
    public void Bulk_conversion_refuses_mismatched_lengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => Bf16.FromFloats(new float[5], new ushort[4]));
        Assert.Contains("4", ex.Message);
        Assert.Contains("5", ex.Message);
    }
}
