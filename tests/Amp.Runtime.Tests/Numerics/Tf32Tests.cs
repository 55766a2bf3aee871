namespace Amp.Tests.Numerics;

/// <summary>
/// TF32 rounding as <c>cvt.rna.tf32.f32</c> does it: 10 mantissa bits, round to nearest with ties away from zero,
/// overflow to infinity, NaN kept; bit-exact on the edges, the vector path equal to the scalar one bit for bit.
/// </summary>
public sealed class Tf32Tests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);

    [Theory]
    [InlineData(0x3F800000u, 0x3F800000u)]   // 1: exact
    [InlineData(0x3F800FFFu, 0x3F800000u)]   // 1 + just below half a TF32 ulp: down
    [InlineData(0x3F801000u, 0x3F802000u)]   // 1 + exactly half (2^-11): a tie, away from zero
    [InlineData(0xBF801000u, 0xBF802000u)]   // -(1 + 2^-11): a tie, away from zero (more negative)
    [InlineData(0x3F803000u, 0x3F804000u)]   // a tie above an odd TF32 mantissa: away too (not to even)
    [InlineData(0x3F801001u, 0x3F802000u)]   // above half: up
    [InlineData(0x3FFFF000u, 0x40000000u)]   // carry out of the mantissa: the next binade
    [InlineData(0x7F7FE000u, 0x7F7FE000u)]   // the largest finite TF32 value
    [InlineData(0x7F7FEFFFu, 0x7F7FE000u)]   // just below its rounding boundary
    [InlineData(0x7F7FF000u, 0x7F800000u)]   // the boundary (a tie): infinity
    [InlineData(0x7F7FFFFFu, 0x7F800000u)]   // float.MaxValue: infinity
    [InlineData(0xFF7FFFFFu, 0xFF800000u)]   // -float.MaxValue: -infinity
    [InlineData(0x7F800000u, 0x7F800000u)]   // +infinity
    [InlineData(0xFF800000u, 0xFF800000u)]   // -infinity
    [InlineData(0x00000000u, 0x00000000u)]   // +0
    [InlineData(0x80000000u, 0x80000000u)]   // -0
    [InlineData(0x00000001u, 0x00000000u)]   // the smallest subnormal: to zero
    [InlineData(0x00001000u, 0x00002000u)]   // a subnormal tie: away from zero
    [InlineData(0x007FFFFFu, 0x00800000u)]   // the largest subnormal: up to the smallest normal
    public void Rounds_edge_values_exactly(uint input, uint expected)
    {
        Assert.Equal(expected, Tf32.RoundBits(input));
        Assert.Equal(expected, Bits(Tf32.Round(F(input))));
    }

    [Theory]
    [InlineData(0x7FC00000u)]   // the quiet NaN
    [InlineData(0x7F800001u)]   // a signalling NaN with one payload bit below the kept mantissa
    [InlineData(0x7FFFFFFFu)]   // all ones: no carry into the sign
    [InlineData(0xFFC00000u)]   // a negative NaN
    public void Nan_stays_nan_with_its_sign(uint nan)
    {
        uint rounded = Tf32.RoundBits(nan);
        Assert.True(float.IsNaN(F(rounded)));
        Assert.Equal(nan & 0x80000000u, rounded & 0x80000000u);
        Assert.Equal(0u, rounded & Tf32.DroppedBits);
    }

    [Fact]
    public void Every_bf16_and_fp16_value_is_exact_in_tf32()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float bf16 = Bf16.FromBits((ushort)bits).ToFloat(), fp16 = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            if (!float.IsNaN(bf16))
            {
                Assert.Equal(Bits(bf16), Bits(Tf32.Round(bf16)));
            }

            if (!float.IsNaN(fp16))
            {
                Assert.Equal(Bits(fp16), Bits(Tf32.Round(fp16)));
            }
        }
    }

    [Fact]
    public void Rounding_is_to_the_nearest_tf32_value()
    {
        var random = new Random(11);
        for (int i = 0; i < 100_000; i++)
        {
            float x = F((uint)random.NextInt64(0, 0x7F7FE000));   // finite, below the overflow boundary
            double r = Tf32.Round(x);
            double down = F(Bits(x) & ~Tf32.DroppedBits), up = F((Bits(x) & ~Tf32.DroppedBits) + 0x2000);
            Assert.True(r == down || r == up, $"{x}: {r} is neither neighbour");
            double toDown = x - down, toUp = up - x;
            Assert.Equal(toDown < toUp ? down : up, r);   // ties (toDown == toUp) go up in magnitude: away from zero
        }
    }

    [Fact]
    public void The_vector_path_gives_the_scalar_bits()
    {
        var random = new Random(3);
        foreach (int length in new[] { 0, 1, 7, 8, 15, 16, 17, 63, 1000 })
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                // Random bit patterns cover NaNs, infinities, subnormals and both signs.
                values[i] = F((uint)random.NextInt64(0, 1L << 32));
            }

            uint[] expected = values.Select(v => Tf32.RoundBits(Bits(v))).ToArray();
            Tf32.Round(values);
            Assert.Equal(expected, values.Select(Bits).ToArray());
        }
    }
}
