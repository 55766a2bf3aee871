namespace Amp.Tests.Kernels;

public class GemmTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    public static TheoryData<Precision, Precision, bool, bool, int, int, int> CpuCases()
    {
        var data = new TheoryData<Precision, Precision, bool, bool, int, int, int>();
        (int M, int N, int K)[] shapes = [(1, 1, 1), (37, 53, 29), (97, 300, 261), (6, 16, 256), (130, 17, 5)];
        foreach (Precision storage in Enum.GetValues<Precision>())
        {
            foreach (Precision output in new[] { Precision.Fp32, storage }.Distinct())
            {
                foreach (bool ta in new[] { false, true })
                {
                    foreach (bool tb in new[] { false, true })
                    {
                        foreach (var s in shapes)
                        {
                            data.Add(storage, output, ta, tb, s.M, s.N, s.K);
                        }
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CpuCases))]
    public void Cpu_gemm_matches_the_fp64_reference_within_the_derived_bound(Precision storage, Precision output, bool ta, bool tb, int m, int n, int k) =>
        CheckAgainstReference(devices.Cpu, storage, storage, output, ta, tb, m, n, k, batch: 1, sharedB: false, alpha: 1f, beta: 0f, withBias: false);

    public static TheoryData<Precision, Precision, bool, bool> IlgpuCases()
    {
        var data = new TheoryData<Precision, Precision, bool, bool>();
        foreach (Precision storage in Enum.GetValues<Precision>())
        {
            data.Add(storage, Precision.Fp32, false, true);
            data.Add(storage, storage, true, false);
        }

        data.Add(Precision.Fp32, Precision.Fp32, false, false);
        data.Add(Precision.Bf16, Precision.Fp32, true, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(IlgpuCases))]
    public void Ilgpu_gemm_matches_the_reference_and_agrees_with_cpu(Precision storage, Precision output, bool ta, bool tb)
    {
        const int m = 19, n = 23, k = 41;
        (float[] cpu, double[] bound) = CheckAgainstReference(devices.Cpu, storage, storage, output, ta, tb, m, n, k, 2, sharedB: true, alpha: 0.75f, beta: 0.5f, withBias: true);
        (float[] ilgpu, _) = CheckAgainstReference(devices.Ilgpu, storage, storage, output, ta, tb, m, n, k, 2, sharedB: true, alpha: 0.75f, beta: 0.5f, withBias: true);

        // Each is within the bound of the reference, so they differ by at most twice the bound (summation order).
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.True(Math.Abs(cpu[i] - ilgpu[i]) <= 2 * bound[i], $"c[{i}]: Cpu {cpu[i]} vs IlgpuCpu {ilgpu[i]}");
        }
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Mixed_storage_batched_gemm_with_alpha_beta_and_bias(DeviceKind kind) =>
        CheckAgainstReference(devices.Get(kind), Precision.Bf16, Precision.Fp16, Precision.Bf16, false, true, 13, 35, 70, batch: 3, sharedB: false, alpha: -1.5f, beta: 2f, withBias: true);

    /// <summary>
    /// C += A op(B) in FP32 (a gradient's later contribution): with k in one block whole tiles accumulate in C itself,
    /// edge rows and columns (shapes not multiples of 6 x 16) through the block; both must give the sum, on both
    /// micro-kernels.
    /// </summary>
    [Theory]
    [InlineData(97, 300, 200, false)]
    [InlineData(37, 53, 29, true)]
    [InlineData(12, 64, 40, false)]
    [InlineData(130, 17, 5, true)]
    [InlineData(200, 48, 256, false)]
    [InlineData(64, 96, 300, true)]   // k past one block: the block path throughout
    public void Accumulating_into_fp32_c_matches_the_reference_on_whole_and_edge_tiles(int m, int n, int k, bool tb)
    {
        bool wide = CpuGemmMicroKernel512.Enabled;
        try
        {
            foreach (bool use512 in new[] { false, wide }.Distinct())
            {
                CpuGemmMicroKernel512.Enabled = use512;
                CheckAgainstReference(devices.Cpu, Precision.Fp32, Precision.Fp32, Precision.Fp32, false, tb, m, n, k, batch: 2, sharedB: false, alpha: 1f, beta: 1f, withBias: false);
            }
        }
        finally
        {
            CpuGemmMicroKernel512.Enabled = wide;
        }
    }

    /// <summary>
    /// A weight gradient's shape (small C, long k: a convolution's dW over the batch's pixels) is cut into k ranges whose
    /// FP32 partial products are summed before the epilogue; alpha, beta, the bias and low-precision C go through it once.
    /// </summary>
    [Theory]
    [InlineData(Precision.Fp32, Precision.Fp32, 1, 1f, 0f, false)]
    [InlineData(Precision.Bf16, Precision.Fp32, 1, 1f, 1f, false)]
    [InlineData(Precision.Fp32, Precision.Bf16, 2, -0.5f, 2f, true)]
    [InlineData(Precision.Fp16, Precision.Fp32, 1, 1f, 0f, true)]
    public void Split_k_products_match_the_fp64_reference(Precision storage, Precision output, int batch, float alpha, float beta, bool withBias) =>
        CheckAgainstReference(devices.Cpu, storage, storage, output, ta: false, tb: true, 16, 144, 4096, batch, sharedB: false, alpha, beta, withBias);

    [Fact]
    public void Split_k_is_taken_only_for_a_small_c_with_a_long_k_and_idle_cores()
    {
        GemmProblem Problem(int m, int n, int k) => new(1, m, n, k, false, false, k, k, n, 0, 0, (long)m * n, 1f, 0f);
        Assert.Equal(2, CpuGemm.SplitsK(Problem(16, 144, 50_176), threads: 2, items: 1));
        Assert.Equal(1, CpuGemm.SplitsK(Problem(16, 144, 50_176), threads: 1, items: 1));
        Assert.Equal(1, CpuGemm.SplitsK(Problem(16, 144, 512), threads: 2, items: 1));   // two k blocks: nothing to share
        Assert.Equal(1, CpuGemm.SplitsK(Problem(1024, 1024, 4096), threads: 2, items: 22));   // C alone feeds every core
    }

    [Fact]
    public void Beta_zero_ignores_nan_in_c_as_blas_does()
    {
        using DeviceTensor a = devices.Cpu.FromHost([1f, 2f], Precision.Fp32, 1, 2);
        using DeviceTensor b = devices.Cpu.FromHost([3f, 4f], Precision.Fp32, 2, 1);
        using DeviceTensor c = devices.Cpu.FromHost([float.NaN], Precision.Fp32, 1, 1);
        devices.Cpu.Gemm(a, b, c);
        Assert.Equal(11f, c.ToArray()[0]);
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Wrong_shapes_name_the_argument_and_both_shapes(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        using DeviceTensor a = device.Allocate(Precision.Bf16, 16, 64);
        using DeviceTensor b = device.Allocate(Precision.Bf16, 65, 32);
        using DeviceTensor c = device.Allocate(Precision.Fp32, 16, 32);
        var inner = Assert.Throws<ArgumentException>(() => device.Gemm(a, b, c));
        Assert.Equal("b", inner.ParamName);
        Assert.Contains("[16, 64]", inner.Message);
        Assert.Contains("[65, 32]", inner.Message);

        using DeviceTensor b2 = device.Allocate(Precision.Bf16, 64, 32);
        using DeviceTensor wrongC = device.Allocate(Precision.Fp32, 16, 31);
        var outer = Assert.Throws<ArgumentException>(() => device.Gemm(a, b2, wrongC));
        Assert.Equal("c", outer.ParamName);
        Assert.Contains("[16, 31]", outer.Message);
        Assert.Contains("[16, 32]", outer.Message);

        using DeviceTensor bias = device.Allocate(Precision.Fp32, 31);
        var biasError = Assert.Throws<ArgumentException>(() => device.Gemm(a, b2, c, new GemmOptions { Bias = bias }));
        Assert.Equal("bias", biasError.ParamName);
    }

    private static (float[] Actual, double[] Bound) CheckAgainstReference(
        AmpDevice device, Precision pa, Precision pb, Precision pc, bool ta, bool tb, int m, int n, int k,
        int batch, bool sharedB, float alpha, float beta, bool withBias)
    {
        float[] av = TestData.Uniform(batch * m * k, seed: m + (7 * n) + (13 * k));
        float[] bv = TestData.Uniform((sharedB ? 1 : batch) * k * n, seed: 99 + k);
        float[] cv = TestData.Uniform(batch * m * n, seed: 5);
        float[] biasv = TestData.Uniform(n, seed: 11);
        int[] aShape = ta ? [batch, k, m] : [batch, m, k];
        int[] bShape = tb ? [n, k] : [k, n];
        if (!sharedB)
        {
            bShape = [batch, .. bShape];
        }

        using DeviceTensor a = device.FromHost(av, pa, aShape);
        using DeviceTensor b = device.FromHost(bv, pb, bShape);
        using DeviceTensor c = device.FromHost(cv, pc, batch, m, n);
        using DeviceTensor? bias = withBias ? device.FromHost(biasv, Precision.Fp32, n) : null;
        device.Gemm(a, b, c, new GemmOptions { TransposeA = ta, TransposeB = tb, Alpha = alpha, Beta = beta, Bias = bias });

        (double[] expected, double[] bound) = GemmReference.Compute(
            batch, m, n, k, TestData.Stored(av, pa), ta, sharedA: false, TestData.Stored(bv, pb), tb, sharedB,
            TestData.Stored(cv, pc), withBias ? biasv.Select(x => (double)x).ToArray() : null, alpha, beta, pc);
        float[] actual = c.ToArray();
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= bound[i], $"{device.Kind} c[{i}] = {actual[i]}, reference {expected[i]}, error {error:E3} > bound {bound[i]:E3}");
        }

        return (actual, bound);
    }
}
