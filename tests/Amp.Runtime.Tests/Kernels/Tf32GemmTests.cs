namespace Amp.Tests.Kernels;

/// <summary>
/// GEMM with <c>GemmOptions.Tf32</c>: FP32 operands rounded to TF32, FP32 accumulation. On the rounded operands it is an
/// ordinary FP32 GEMM (the FP64 reference's bound); against the unrounded operands it is within TF32's bound and not
/// FP32's; BF16 operands are unchanged; Cpu and IlgpuCpu agree.
/// </summary>
public sealed class Tf32GemmTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    [Theory]
    [InlineData(DeviceKind.Cpu, false, true, 37, 29, 300)]
    [InlineData(DeviceKind.Cpu, true, false, 100, 40, 513)]
    [InlineData(DeviceKind.IlgpuCpu, false, true, 13, 11, 40)]
    public void Rounds_fp32_operands_to_tf32_and_accumulates_in_fp32(DeviceKind kind, bool ta, bool tb, int m, int n, int k)
    {
        AmpDevice device = devices.Get(kind);
        float[] a = TestData.Uniform(m * k, 1), b = TestData.Uniform(k * n, 2);
        using DeviceTensor ta32 = device.FromHost(a, Precision.Fp32, ta ? [k, m] : [m, k]);
        using DeviceTensor tb32 = device.FromHost(b, Precision.Fp32, tb ? [n, k] : [k, n]);
        using DeviceTensor c = device.Allocate(Precision.Fp32, m, n);
        device.Gemm(ta32, tb32, c, new GemmOptions { TransposeA = ta, TransposeB = tb, Tf32 = true });
        float[] result = c.ToArray();

        double[] RoundedTf32(float[] x) => x.Select(v => (double)Tf32.Round(v)).ToArray();
        (double[] onRounded, double[] bound) = GemmReference.Compute(1, m, n, k, RoundedTf32(a), ta, false, RoundedTf32(b), tb, false, new double[m * n], null, 1f, 0f, Precision.Fp32);
        (double[] exact, _) = GemmReference.Compute(1, m, n, k, a.Select(v => (double)v).ToArray(), ta, false, b.Select(v => (double)v).ToArray(), tb, false, new double[m * n], null, 1f, 0f, Precision.Fp32);
        double worstTf32 = 0, worstFp32 = 0;
        for (int i = 0; i < result.Length; i++)
        {
            Assert.True(Math.Abs(result[i] - onRounded[i]) <= bound[i], $"[{i}] {result[i]} vs {onRounded[i]} on TF32 operands (bound {bound[i]:E2})");
            // Each product of two TF32-rounded operands is off by at most 2u + u^2 relative (u = 2^-11), plus FP32 accumulation.
            worstTf32 = Math.Max(worstTf32, Math.Abs(result[i] - exact[i]) / (bound[i] * (1 << 13) / (k + 3) * (2.0 + (1.0 / 2048)) + bound[i]));
            worstFp32 = Math.Max(worstFp32, Math.Abs(result[i] - exact[i]) / bound[i]);
        }

        Assert.True(worstTf32 <= 1, $"outside the TF32 bound: {worstTf32:F3}");
        Assert.True(worstFp32 > 1, "the result is as accurate as FP32: the operands were not rounded");
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Leaves_bf16_operands_and_plain_fp32_products_alone(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        float[] a = TestData.Uniform(9 * 20, 3), b = TestData.Uniform(20 * 7, 4);
        float[] Run(Precision storage, bool tf32)
        {
            using DeviceTensor ta = device.FromHost(a, storage, 9, 20), tb = device.FromHost(b, storage, 20, 7);
            using DeviceTensor c = device.Allocate(Precision.Fp32, 9, 7);
            device.Gemm(ta, tb, c, new GemmOptions { Tf32 = tf32 });
            return c.ToArray();
        }

        Assert.Equal(Run(Precision.Bf16, tf32: false), Run(Precision.Bf16, tf32: true));
        Assert.Equal(Run(Precision.Fp16, tf32: false), Run(Precision.Fp16, tf32: true));
        Assert.NotEqual(Run(Precision.Fp32, tf32: false), Run(Precision.Fp32, tf32: true));
    }

    [Fact]
    public void Cpu_and_ilgpu_agree()
    {
        float[] a = TestData.Uniform(17 * 33, 5), b = TestData.Uniform(33 * 19, 6);
        float[] Run(AmpDevice device)
        {
            using DeviceTensor ta = device.FromHost(a, Precision.Fp32, 17, 33), tb = device.FromHost(b, Precision.Fp32, 33, 19);
            using DeviceTensor c = device.Allocate(Precision.Fp32, 17, 19);
            device.Gemm(ta, tb, c, new GemmOptions { Tf32 = true });
            return c.ToArray();
        }

        float[] cpu = Run(devices.Cpu), ilgpu = Run(devices.Ilgpu);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.True(Math.Abs(cpu[i] - ilgpu[i]) <= 1e-5f * (1 + Math.Abs(cpu[i])), $"[{i}] {cpu[i]} vs {ilgpu[i]}");
        }
    }
}
