namespace Amp.Tests.Kernels;

/// <summary>
/// The Cpu GEMM's per-thread workspace is bounded whatever the batch, and freed with the last Cpu device. A batch of
/// 17 M rows once sized one thread's FP32 block past 2^31 bytes (an int overflow: heap corruption), and the block of
/// the largest batch stayed allocated for the life of the process.
/// </summary>
public sealed class GemmWorkspaceTests
{
    /// <summary>Packed A and B, the packing rows (16 of Kc) and at most MaxTilesPerItem row tiles of FP32 accumulators.</summary>
    private const long PerThreadBound = 4L * ((CpuGemm.Mc * CpuGemm.Kc) + (CpuGemm.Kc * CpuGemm.Nc) + CpuGemm.RunFloats + (CpuGemm.MaxTilesPerItem * CpuGemm.Mc * CpuGemm.Nc));

    [Fact]
    public void A_tall_product_is_exact_with_a_bounded_workspace_that_the_last_device_frees()
    {
        const int m = 600_000, k = 3, n = 8;
        float[] a = TestData.Uniform(m * k, seed: 1), b = TestData.Uniform(k * n, seed: 2);
        Assert.Equal(0, CpuDevice.LiveCount);
        using (AmpDevice device = AmpDevice.Create(DeviceKind.Cpu))
        {
            using DeviceTensor ta = device.Allocate(Precision.Fp32, m, k), tb = device.Allocate(Precision.Fp32, k, n), tc = device.Allocate(Precision.Fp32, m, n);
            ta.CopyFrom(a);
            tb.CopyFrom(b);
            device.Gemm(ta, tb, tc);
            float[] c = tc.ToArray();
            foreach (int row in new[] { 0, 1, 4_095, 299_999, m - 1 })
            {
                for (int j = 0; j < n; j++)
                {
                    double expected = 0;
                    for (int p = 0; p < k; p++)
                    {
                        expected += (double)a[(row * k) + p] * b[(p * n) + j];
                    }

                    Assert.Equal(expected, c[(row * n) + j], 1e-5);
                }
            }

            // Every thread that ran a piece holds at most one bounded workspace (the old block alone was m / items rows x 1 KiB).
            long threads = Math.Max(1, CpuGemm.WorkspaceCount);
            Assert.InRange(CpuGemm.WorkspaceBytes, 1, threads * PerThreadBound);
        }

        Assert.Equal(0, CpuDevice.LiveCount);
        Assert.Equal(0, CpuGemm.WorkspaceBytes);
    }
}
