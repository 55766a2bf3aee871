using Xunit;
using Xunit.Abstractions;

namespace Amp.Tests.Kernels;

/// <summary>
/// The AVX-512 micro-kernel (6 x 32 over two B panels) against the 256-bit one (6 x 16): every element of C sees the
/// same FMAs in the same order, so the two GEMMs agree to the bit — over an odd last panel (run by the 256-bit kernel),
/// several depth blocks (accumulation), transposed operands, 16-bit storage, alpha, beta and a bias, and an FP32 A that
/// the 512-bit kernel reads in place instead of packing. On a machine
/// without AVX-512 both runs take the 256-bit kernel and the test says so.
/// </summary>
public sealed class GemmKernelTests(DeviceFixture devices, ITestOutputHelper output) : IClassFixture<DeviceFixture>
{
    public static TheoryData<Precision, bool, bool, int, int, int> Cases() => new()
    {
        { Precision.Fp32, false, false, 37, 53, 29 },
        { Precision.Fp32, false, true, 97, 300, 261 },
        { Precision.Fp32, true, false, 130, 48, 600 },
        { Precision.Bf16, false, true, 64, 256, 256 },
        { Precision.Fp16, true, true, 13, 80, 7 },
        { Precision.Fp32, false, false, 6, 32, 1 },
        // FP32 A stored [m, k] read in place (an even number of B panels): full panels and a packed last one of 1 row,
        // three depth blocks; and with a transposed B.
        { Precision.Fp32, false, false, 13, 64, 600 },
        { Precision.Fp32, false, true, 100, 96, 300 },
        { Precision.Bf16, false, false, 13, 64, 600 },
        { Precision.Fp16, false, true, 96, 96, 300 },
        { Precision.Bf16, false, true, 95, 32, 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_512_bit_kernel_gives_the_256_bit_kernels_bits(Precision storage, bool ta, bool tb, int m, int n, int k)
    {
        output.WriteLine(CpuGemmMicroKernel512.IsSupported ? "AVX-512: the 6 x 32 kernel against the 6 x 16 kernel" : "no AVX-512 here: both runs take the 6 x 16 kernel");
        AmpDevice device = devices.Cpu;
        var random = new Random(m + n + k);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f)];
        using DeviceTensor a = ta ? device.FromHost(Values(m * k), storage, k, m) : device.FromHost(Values(m * k), storage, m, k);
        using DeviceTensor b = tb ? device.FromHost(Values(k * n), storage, n, k) : device.FromHost(Values(k * n), storage, k, n);
        using DeviceTensor bias = device.FromHost(Values(n), Precision.Fp32, n);
        float[] start = Values(m * n);
        var options = new GemmOptions { TransposeA = ta, TransposeB = tb, Alpha = 0.75f, Beta = 0.5f, Bias = bias };

        float[] Run(bool wide)
        {
            bool before = CpuGemmMicroKernel512.Enabled;
            CpuGemmMicroKernel512.Enabled = wide && CpuGemmMicroKernel512.IsSupported;
            try
            {
                using DeviceTensor c = device.FromHost(start, Precision.Fp32, m, n);
                device.Gemm(a, b, c, options);
                return c.ToArray();
            }
            finally
            {
                CpuGemmMicroKernel512.Enabled = before;
            }
        }

        float[] narrow = Run(wide: false), wideResult = Run(wide: true);
        Assert.Equal(narrow.Select(BitConverter.SingleToInt32Bits), wideResult.Select(BitConverter.SingleToInt32Bits));
    }
}
