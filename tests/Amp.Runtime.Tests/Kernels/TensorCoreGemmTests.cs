using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace Amp.Tests;

/// <summary>
/// The tensor-core GEMM kernel on ILGPU's CPU accelerator with 32-thread warps: inline PTX is unavailable there,
/// so each mma.sync runs through the kernel's exact emulation (warp shuffles over the same fragment layout),
/// which checks the tiling, staging, edge tiles, transposes and batching against an FP64 reference.
/// </summary>
public sealed class TensorCoreGemmTests
{
    // The simulator runs 128 OS threads per group and emulates each mma with 64 shuffles: the sizes are small,
    // chosen to cover full and edge tiles in both directions, two K steps, a batch, and every operand layout.
    [Theory]
    [InlineData(true, false, false, 70, 45, 40, 2)]
    [InlineData(false, true, true, 20, 70, 24, 1)]
    [InlineData(true, true, false, 16, 8, 16, 1)]
    [InlineData(false, false, true, 17, 9, 33, 1)]
    public void Matches_fp64_on_the_stored_values(bool bf16, bool transposeA, bool transposeB, int m, int n, int k, int batch)
    {
        float[] aValues = TestData.Uniform(batch * m * k, seed: 1), bValues = TestData.Uniform(batch * k * n, seed: 2), bias = TestData.Uniform(n, seed: 3);
        ushort[] a = Bits(aValues, bf16), b = Bits(bValues, bf16);
        float[] c0 = TestData.Uniform(batch * m * n, seed: 4);
        var args = new GemmKernelArgs
        {
            M = m, N = n, K = k, Lda = transposeA ? m : k, Ldb = transposeB ? k : n, Ldc = n,
            StrideA = m * k, StrideB = k * n, StrideC = m * n, TransposeA = transposeA ? 1 : 0, TransposeB = transposeB ? 1 : 0,
            Alpha = 0.5f, Beta = 0.25f, HasBias = 1,
        };

        using Context context = Context.Create(builder => builder.CPU(new CPUDevice(32, 4, 1)));
        using Accelerator accelerator = context.CreateCPUAccelerator(0);
        using var da = accelerator.Allocate1D(a);
        using var db = accelerator.Allocate1D(b);
        using var dc = accelerator.Allocate1D(c0);
        using var dbias = accelerator.Allocate1D(bias);
        var kernel = accelerator.LoadStreamKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, GemmKernelArgs, int, Fp32Storage>(
            TensorCoreGemm.Kernel<float, Fp32Storage>);
        kernel(TensorCoreGemm.Config(m, n, batch), da.View, db.View, dc.View, dbias.View, args, bf16 ? 1 : 0, default);
        accelerator.Synchronize();
        float[] c = dc.GetAsArray1D();

        for (int z = 0; z < batch; z++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double x = Stored(a[(z * m * k) + (transposeA ? (p * m) + i : (i * k) + p)], bf16);
                        double y = Stored(b[(z * k * n) + (transposeB ? (j * k) + p : (p * n) + j)], bf16);
                        sum += x * y;
                        magnitude += Math.Abs(x * y);
                    }

                    int at = (z * m * n) + (i * n) + j;
                    double expected = (0.5 * sum) + bias[j] + (0.25 * c0[at]);
                    Assert.True(Math.Abs(c[at] - expected) <= (1e-6 * magnitude) + 1e-6, $"C[{z}, {i}, {j}] = {c[at]}, expected {expected}");
                }
            }
        }
    }

    /// <summary>
    /// The m16n8k8.tf32 kernel (its emulation here): FP32 operands rounded to TF32 while staged, FP32 accumulation; the
    /// result matches FP64 on the TF32-rounded operands, over full and edge tiles, transposes and a batch.
    /// </summary>
    [Theory]
    [InlineData(false, true, 70, 45, 40, 1)]
    [InlineData(true, false, 17, 9, 33, 2)]
    public void Tf32_kernel_matches_fp64_on_the_rounded_operands(bool transposeA, bool transposeB, int m, int n, int k, int batch)
    {
        float[] a = TestData.Uniform(batch * m * k, seed: 5), b = TestData.Uniform(batch * k * n, seed: 6), bias = TestData.Uniform(n, seed: 7);
        float[] c0 = TestData.Uniform(batch * m * n, seed: 8);
        var args = new GemmKernelArgs
        {
            M = m, N = n, K = k, Lda = transposeA ? m : k, Ldb = transposeB ? k : n, Ldc = n,
            StrideA = m * k, StrideB = k * n, StrideC = m * n, TransposeA = transposeA ? 1 : 0, TransposeB = transposeB ? 1 : 0,
            Alpha = 0.5f, Beta = 0.25f, HasBias = 1, Tf32 = 1,
        };

        using Context context = Context.Create(builder => builder.CPU(new CPUDevice(32, 4, 1)));
        using Accelerator accelerator = context.CreateCPUAccelerator(0);
        using var da = accelerator.Allocate1D(a);
        using var db = accelerator.Allocate1D(b);
        using var dc = accelerator.Allocate1D(c0);
        using var dbias = accelerator.Allocate1D(bias);
        var kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmKernelArgs, Fp32Storage>(
            TensorCoreGemmTf32.Kernel<float, Fp32Storage>);
        kernel(TensorCoreGemm.Config(m, n, batch), da.View, db.View, dc.View, dbias.View, args, default);
        accelerator.Synchronize();
        float[] c = dc.GetAsArray1D();

        double worstUnrounded = 0;
        for (int z = 0; z < batch; z++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, exact = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        float x = a[(z * m * k) + (transposeA ? (p * m) + i : (i * k) + p)], y = b[(z * k * n) + (transposeB ? (j * k) + p : (p * n) + j)];
                        sum += (double)Tf32.Round(x) * Tf32.Round(y);
                        exact += (double)x * y;
                        magnitude += Math.Abs((double)x * y);
                    }

                    int at = (z * m * n) + (i * n) + j;
                    double expected = (0.5 * sum) + bias[j] + (0.25 * c0[at]);
                    Assert.True(Math.Abs(c[at] - expected) <= (1e-6 * magnitude) + 1e-6, $"C[{z}, {i}, {j}] = {c[at]}, expected {expected}");
                    worstUnrounded = Math.Max(worstUnrounded, Math.Abs(c[at] - ((0.5 * exact) + bias[j] + (0.25 * c0[at]))) / (magnitude + 1e-6));
                }
            }
        }

        Assert.True(worstUnrounded > 1e-6, "the operands were not rounded to TF32");
    }

    private static ushort[] Bits(float[] values, bool bf16) =>
        values.Select(v => bf16 ? Bf16.FromFloat(v).Bits : BitConverter.HalfToUInt16Bits((System.Half)v)).ToArray();

    private static double Stored(ushort bits, bool bf16) => bf16 ? Bf16.FromBits(bits).ToFloat() : (double)BitConverter.UInt16BitsToHalf(bits);
}
