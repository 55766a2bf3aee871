using System.Runtime.Intrinsics;
using Amp.Compilation;

namespace Amp.Tests.Kernels;

/// <summary>
/// The Cpu chain driver (CpuChains): FP32 operands are read and written where they lie, BF16/FP16 and broadcast ones go
/// through scratch, in place (the output one of the inputs) is safe, and a chain's backward either adds into its
/// gradient or, with overwrite, writes it without reading what was there. Lengths cover whole blocks of 2,048, a partial
/// block and a scalar tail.
/// </summary>
public class CpuChainTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    /// <summary>y = x0 * x1 + x2.</summary>
    private readonly struct MulAdd : IChain
    {
        public static int Reads => 0b0111;

        public static float Apply(float x0, float x1, float x2, float x3) => (x0 * x1) + x2;

        public static Vector256<float> Apply(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3) => (x0 * x1) + x2;
    }

    /// <summary>d/dx0 of x0 * x1 + x2, times g: g * x1 (reads leaf 1 only).</summary>
    private readonly struct MulAddGrad0 : IGradChain
    {
        public static int Reads => 0b0010;

        public static float Apply(float g, float x0, float x1, float x2, float x3) => g * x1;

        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3) => g * x1;
    }

    public static TheoryData<int, Precision, Precision, int> Cases() => new()
    {
        { 5003, Precision.Fp32, Precision.Fp32, 5003 },   // every operand in place
        { 5003, Precision.Bf16, Precision.Fp32, 5003 },   // x1 widened into scratch, y in place
        { 4096, Precision.Fp32, Precision.Bf16, 4096 },   // y rounded from scratch
        { 4100, Precision.Fp32, Precision.Fp32, 41 },     // x2 broadcast: wrapped through scratch
        { 7, Precision.Fp16, Precision.Fp16, 7 },         // the scalar tail alone
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_chain_reads_its_operands_and_writes_its_output_in_any_storage(int n, Precision x1Storage, Precision yStorage, int x2Length)
    {
        float[] a = TestData.Uniform(n, seed: 1), b = TestData.Uniform(n, seed: 2), c = TestData.Uniform(x2Length, seed: 3);
        using DeviceTensor x0 = devices.Cpu.FromHost(a, Precision.Fp32, n);
        using DeviceTensor x1 = devices.Cpu.FromHost(b, x1Storage, n);
        using DeviceTensor x2 = devices.Cpu.FromHost(c, Precision.Fp32, x2Length);
        using DeviceTensor y = devices.Cpu.Allocate(yStorage, n);
        CpuChains.Run<MulAdd>((CpuTensor)y, (CpuTensor)x0, (CpuTensor)x1, (CpuTensor)x2, null);

        float[] stored = TestData.Stored(b, x1Storage).Select(v => (float)v).ToArray();
        float[] actual = y.ToArray();
        for (int i = 0; i < n; i++)
        {
            float expected = (float)TestData.Stored([(a[i] * stored[i]) + c[i % x2Length]], yStorage)[0];
            Assert.True(expected == actual[i], $"y[{i}] = {actual[i]}, expected {expected}");
        }
    }

    [Fact]
    public void A_chain_may_write_over_one_of_its_inputs()
    {
        const int n = 6151;
        float[] a = TestData.Uniform(n, seed: 4), b = TestData.Uniform(n, seed: 5), c = TestData.Uniform(n, seed: 6);
        using DeviceTensor x0 = devices.Cpu.FromHost(a, Precision.Fp32, n);
        using DeviceTensor x1 = devices.Cpu.FromHost(b, Precision.Fp32, n);
        using DeviceTensor x2 = devices.Cpu.FromHost(c, Precision.Fp32, n);
        CpuChains.Run<MulAdd>((CpuTensor)x0, (CpuTensor)x0, (CpuTensor)x1, (CpuTensor)x2, null);
        float[] actual = x0.ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal((a[i] * b[i]) + c[i], actual[i]);
        }
    }

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public void A_chain_backward_adds_or_overwrites(Precision gradient)
    {
        const int n = 4133;
        float[] g = TestData.Uniform(n, seed: 7), b = TestData.Uniform(n, seed: 8), old = TestData.Uniform(n, seed: 9);
        using DeviceTensor dy = devices.Cpu.FromHost(g, gradient, n);
        using DeviceTensor x1 = devices.Cpu.FromHost(b, Precision.Fp32, n);
        float[] gs = TestData.Stored(g, gradient).Select(v => (float)v).ToArray();
        foreach (bool overwrite in new[] { false, true })
        {
            // What the buffer held before: the earlier contributions, or (overwrite) whatever its slot last held, NaN included.
            float[] before = overwrite ? old.Select((v, i) => i % 97 == 0 ? float.NaN : v).ToArray() : old;
            using DeviceTensor dx = devices.Cpu.FromHost(before, gradient, n);
            float[] held = dx.ToArray();
            CpuChains.RunGrad<MulAddGrad0>((CpuTensor)dx, (CpuTensor)dy, null, (CpuTensor)x1, null, null, overwrite);
            float[] actual = dx.ToArray();
            for (int i = 0; i < n; i++)
            {
                float sum = (overwrite ? 0f : held[i]) + (gs[i] * b[i]);
                float expected = (float)TestData.Stored([sum], gradient)[0];
                Assert.True(expected == actual[i], $"overwrite {overwrite}: dx[{i}] = {actual[i]}, expected {expected}");
            }
        }
    }
}
