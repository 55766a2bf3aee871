using Xunit;

namespace Amp.Runtime.Tests.Kernels;

/// <summary>
/// The GEMM's packing against its definition: panel p of op(A) holds, for each k, rows 6p..6p+5 (zeros past the block),
/// and panel q of op(B) columns 16q..16q+15, converted to FP32. The vectorised paths (rows read 8 k at a time and
/// transposed in registers) and the k left over after them, over block edges, every storage and a leading dimension
/// wider than the block.
/// </summary>
public sealed unsafe class PackingTests
{
    public static TheoryData<int, int> Blocks() => new()
    {
        // rows (mc or nc), kc
        { 1, 1 }, { 6, 8 }, { 7, 9 }, { 13, 17 }, { 16, 7 }, { 17, 24 }, { 96, 256 }, { 250, 37 },
    };

    private static float Value(int row, int k) => ((row * 131) + (k * 17)) % 97 / 8f - 6f;

    /// <summary>A [rows + 3, lda] source (lda wider than kc + its offset) in storage T; the block starts at (i0, p0) = (3, 2).</summary>
    private static T[] Source<T>(int rows, int kc, int lda, Func<float, T> store) =>
        [.. Enumerable.Range(0, (rows + 3) * lda).Select(i => store(Value((i / lda) - 3, (i % lda) - 2)))];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Packed_rows_of_A_match_the_definition(int mc, int kc)
    {
        Check(mc, kc, v => v, CpuGemmMicroKernel.Mr, (a, lda, packed, run) => CpuGemmPacking.PackA(a, lda, transposed: false, 3, 2, mc, kc, packed, run));
        Check(mc, kc, Bf16.FromFloat, CpuGemmMicroKernel.Mr, (a, lda, packed, run) => CpuGemmPacking.PackA(a, lda, transposed: false, 3, 2, mc, kc, packed, run));
        Check(mc, kc, v => (Half)v, CpuGemmMicroKernel.Mr, (a, lda, packed, run) => CpuGemmPacking.PackA(a, lda, transposed: false, 3, 2, mc, kc, packed, run));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Packed_columns_of_a_transposed_B_match_the_definition(int nc, int kc)
    {
        Check(nc, kc, v => v, CpuGemmMicroKernel.Nr, (b, ldb, packed, run) => CpuGemmPacking.PackB(b, ldb, transposed: true, 2, 3, kc, nc, packed, run));
        Check(nc, kc, Bf16.FromFloat, CpuGemmMicroKernel.Nr, (b, ldb, packed, run) => CpuGemmPacking.PackB(b, ldb, transposed: true, 2, 3, kc, nc, packed, run));
        Check(nc, kc, v => (Half)v, CpuGemmMicroKernel.Nr, (b, ldb, packed, run) => CpuGemmPacking.PackB(b, ldb, transposed: true, 2, 3, kc, nc, packed, run));
    }

    private delegate void Pack<T>(T* source, int ld, float* packed, float* run)
        where T : unmanaged;

    /// <summary>Packs a block of <paramref name="rows"/> source rows x kc and checks every packed value, padding included.</summary>
    private static void Check<T>(int rows, int kc, Func<float, T> store, int width, Pack<T> pack)
        where T : unmanaged
    {
        int ld = kc + 5;
        T[] source = Source(rows, kc, ld, store);
        int panels = (rows + width - 1) / width;
        var packed = new float[(panels * kc * width) + 8];
        Array.Fill(packed, float.NaN);
        var run = new float[16 * CpuGemm.Kc];
        fixed (T* s = source)
        fixed (float* p = packed, r = run)
        {
            pack(s, ld, p, r);
        }

        for (int panel = 0; panel < panels; panel++)
        {
            for (int k = 0; k < kc; k++)
            {
                for (int i = 0; i < width; i++)
                {
                    int row = (panel * width) + i;
                    float expected = row < rows ? ToFloat(store(Value(row, k))) : 0f;
                    float actual = packed[(panel * kc * width) + (k * width) + i];
                    Assert.True(actual == expected, $"{typeof(T).Name} {rows} x {kc}: panel {panel}, k {k}, lane {i}: {actual}, expected {expected}");
                }
            }
        }

        // Nothing written past the panels.
        Assert.All(packed[(panels * kc * width)..], v => Assert.True(float.IsNaN(v)));
    }

    private static float ToFloat<T>(T value) => value switch
    {
        float f => f,
        Bf16 b => b.ToFloat(),
        Half h => (float)h,
        _ => throw new NotSupportedException(typeof(T).Name),
    };
}
