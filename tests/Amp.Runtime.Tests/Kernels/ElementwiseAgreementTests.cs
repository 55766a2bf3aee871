namespace Amp.Tests.Kernels;

/// <summary>Casts, unscaling and optimizer steps are elementwise: Cpu and the ILGPU kernels must give the same bits.</summary>
public class ElementwiseAgreementTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    public static TheoryData<Precision, Precision> CastPairs()
    {
        var data = new TheoryData<Precision, Precision>();
        foreach (Precision from in Enum.GetValues<Precision>())
        {
            foreach (Precision to in Enum.GetValues<Precision>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    /// <summary>Floats of every class: specials, FP16 edges, ties and random magnitudes over the whole range.</summary>
    private static float[] Awkward()
    {
        var values = new List<float>
        {
            0f, -0f, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue,
            65504f, 65519.99f, 65520f, 6.1035156e-5f, 5.96e-8f, 2.98e-8f, 1e-8f, 2049f, 1.00390625f, 1.0078125f,
            BitConverter.UInt32BitsToSingle(0x3F848000), BitConverter.UInt32BitsToSingle(0x7F800001),
        };
        var random = new Random(17);
        for (int i = 0; i < 3000; i++)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
            values.Add((float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 20))));
        }

        return [.. values];
    }

    [Theory]
    [MemberData(nameof(CastPairs))]
    public void Cast_gives_identical_bits_on_cpu_and_ilgpu(Precision from, Precision to)
    {
        float[] values = Awkward();
        ushort[]? cpuBits = null;
        float[]? cpuValues = null;
        foreach (AmpDevice device in new[] { devices.Cpu, devices.Ilgpu })
        {
            using DeviceTensor src = device.FromHost(values, from, values.Length);
            using DeviceTensor dst = device.Allocate(to, values.Length);
            device.Cast(src, dst);
            float[] got = dst.ToArray();
            if (cpuValues is null)
            {
                cpuValues = got;
                cpuBits = to == Precision.Fp32 ? null : dst.ToBits();
                continue;
            }

            Assert.Equal(cpuValues.Select(BitConverter.SingleToUInt32Bits), got.Select(BitConverter.SingleToUInt32Bits));
            if (cpuBits is not null)
            {
                Assert.Equal(cpuBits, dst.ToBits());
            }
        }
    }

    [Fact]
    public void Cast_rounds_like_the_scalar_converters()
    {
        float[] values = Awkward();
        using DeviceTensor src = devices.Ilgpu.FromHost(values, Precision.Fp32, values.Length);
        using DeviceTensor bf = devices.Ilgpu.Allocate(Precision.Bf16, values.Length);
        using DeviceTensor fp = devices.Ilgpu.Allocate(Precision.Fp16, values.Length);
        devices.Ilgpu.Cast(src, bf);
        devices.Ilgpu.Cast(src, fp);
        Assert.Equal(values.Select(Bf16.RoundToBits), bf.ToBits());
        Assert.Equal(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)), fp.ToBits());
    }

    [Fact]
    public void Unscale_and_check_multiplies_every_element_and_flags_non_finite_on_both_devices()
    {
        float inv = 1f / 1024f;
        float[] clean = TestData.Uniform(10_000, 4, 1000f);
        float[] dirty = TestData.Uniform(77, 5, 1000f);
        dirty[40] = float.PositiveInfinity;
        foreach (AmpDevice device in new[] { devices.Cpu, devices.Ilgpu })
        {
            using DeviceTensor a = device.FromHost(clean, Precision.Fp32, clean.Length);
            using DeviceTensor b = device.FromHost(dirty, Precision.Fp32, dirty.Length);
            Assert.False(device.UnscaleAndCheck([a], inv));
            Assert.Equal(clean.Select(v => v * inv), a.ToArray());
            Assert.True(device.UnscaleAndCheck([a, b], inv));
            Assert.Equal(dirty.Select(v => v * inv), b.ToArray());   // multiplied even when inf was found

            using DeviceTensor nan = device.FromHost([1f, float.NaN, 2f], Precision.Fp32, 3);
            Assert.True(device.UnscaleAndCheck([nan], inv));
        }
    }

    [Fact]
    public void Unscaling_fp16_gradients_is_refused()
    {
        using DeviceTensor g = devices.Cpu.Allocate(Precision.Fp16, 8);
        var ex = Assert.Throws<InvalidOperationException>(() => devices.Cpu.UnscaleAndCheck([g], 1f));
        Assert.Contains("unscale fp16 gradients", ex.Message);
    }

    [Theory]
    [InlineData(Precision.Bf16, false)]
    [InlineData(Precision.Fp16, true)]
    [InlineData(Precision.Fp32, true)]
    public void Sgd_and_adamw_steps_give_identical_bits_on_cpu_and_ilgpu(Precision working, bool nesterov)
    {
        const int n = 1037;   // not a multiple of the vector width: the scalar tail runs too
        float[] p0 = TestData.Uniform(n, 1), g = TestData.Uniform(n, 2, 0.1f);
        var results = new List<(float[] P, float[] Buf, float[] W, float[] Ap, float[] M, float[] V, float[] Aw)>();
        foreach (AmpDevice device in new[] { devices.Cpu, devices.Ilgpu })
        {
            using DeviceTensor p = device.FromHost(p0, Precision.Fp32, n);
            using DeviceTensor grad = device.FromHost(g, Precision.Fp32, n);
            using DeviceTensor buf = device.Allocate(Precision.Fp32, n);
            using DeviceTensor w = device.Allocate(working, n);
            var sgd = new SgdHyperparameters(0.1f, Momentum: 0.9f, WeightDecay: 1e-4f, Nesterov: nesterov);
            for (int step = 1; step <= 3; step++)
            {
                device.SgdStep(p, grad, buf, w, sgd, step);
            }

            using DeviceTensor ap = device.FromHost(p0, Precision.Fp32, n);
            using DeviceTensor m = device.Allocate(Precision.Fp32, n);
            using DeviceTensor v = device.Allocate(Precision.Fp32, n);
            using DeviceTensor aw = device.Allocate(working, n);
            for (int step = 1; step <= 3; step++)
            {
                device.AdamWStep(ap, grad, m, v, aw, new AdamWHyperparameters(1e-2f), step);
            }

            results.Add((p.ToArray(), buf.ToArray(), w.ToArray(), ap.ToArray(), m.ToArray(), v.ToArray(), aw.ToArray()));
        }

        Assert.Equal(Bits(results[0].P), Bits(results[1].P));
        Assert.Equal(Bits(results[0].Buf), Bits(results[1].Buf));
        Assert.Equal(Bits(results[0].W), Bits(results[1].W));
        Assert.Equal(Bits(results[0].Ap), Bits(results[1].Ap));
        Assert.Equal(Bits(results[0].M), Bits(results[1].M));
        Assert.Equal(Bits(results[0].V), Bits(results[1].V));
        Assert.Equal(Bits(results[0].Aw), Bits(results[1].Aw));

        // The working copy is the master rounded once into the working precision.
        Assert.Equal(Bits(TestData.Stored(results[0].P, working).Select(x => (float)x).ToArray()), Bits(results[0].W));
    }

    private static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();
}
