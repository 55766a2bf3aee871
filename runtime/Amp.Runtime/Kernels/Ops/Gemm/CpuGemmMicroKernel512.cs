using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amp;

/// <summary>
/// The AVX-512 micro-kernel: a 6 x 32 block of C in twelve 16-wide accumulators, over two neighbouring 16-wide B
/// panels of the same packing as <see cref="CpuGemmMicroKernel"/> (so packing does not change). Per k: two loads of B,
/// six broadcasts of A, twelve 512-bit FMAs — the 256-bit kernel's work for two panels in half the instructions. A is
/// read through strides, so the same loop takes a packed panel or six rows of an A stored [m, k] in place. Each
/// element of C sees the same FMAs in the same order as in the 256-bit kernel, so the two give identical bits
/// (GemmKernelTests). Chosen at start-up where AVX-512F is accelerated (<see cref="IsSupported"/>).
/// </summary>
internal static unsafe class CpuGemmMicroKernel512
{
    public const int Mr = CpuGemmMicroKernel.Mr;
    public const int Nr = 2 * CpuGemmMicroKernel.Nr;

    /// <summary>
    /// Whether the GEMM uses this kernel: AVX-512F with hardware-accelerated Vector512, unless AMP_CPU_AVX512=0 turns it
    /// off. Settable so tests run both kernels on one machine.
    /// </summary>
    internal static bool Enabled { get; set; } = IsSupported && Environment.GetEnvironmentVariable("AMP_CPU_AVX512") != "0";

    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <param name="a">The 6 rows of A: element (r, p) at a + r <paramref name="rowStride"/> + p <paramref name="kStride"/>
    /// (a packed micro-panel: 1 and 6; rows of an A stored [m, k], read in place: lda and 1).</param>
    /// <param name="b0">Packed B micro-panel of columns 0..15: kc steps of 16 values.</param>
    /// <param name="b1">The next panel (columns 16..31).</param>
    /// <param name="c">FP32 6 x 32 block of the tile, row stride <paramref name="ldc"/>; loaded first when <paramref name="accumulate"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, long rowStride, long kStride, float* b0, float* b1, int kc, float* c, int ldc, bool accumulate)
    {
        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride), a3 = a + (3 * rowStride), a4 = a + (4 * rowStride), a5 = a + (5 * rowStride);
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
        }

        long q = 0;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> x0 = Vector512.Load(b0);
            Vector512<float> x1 = Vector512.Load(b1);
            Vector512<float> ai = Vector512.Create(a0[q]);
            c00 = Avx512F.FusedMultiplyAdd(ai, x0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, x1, c01);
            ai = Vector512.Create(a1[q]);
            c10 = Avx512F.FusedMultiplyAdd(ai, x0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, x1, c11);
            ai = Vector512.Create(a2[q]);
            c20 = Avx512F.FusedMultiplyAdd(ai, x0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, x1, c21);
            ai = Vector512.Create(a3[q]);
            c30 = Avx512F.FusedMultiplyAdd(ai, x0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, x1, c31);
            ai = Vector512.Create(a4[q]);
            c40 = Avx512F.FusedMultiplyAdd(ai, x0, c40); c41 = Avx512F.FusedMultiplyAdd(ai, x1, c41);
            ai = Vector512.Create(a5[q]);
            c50 = Avx512F.FusedMultiplyAdd(ai, x0, c50); c51 = Avx512F.FusedMultiplyAdd(ai, x1, c51);
            q += kStride;
            b0 += CpuGemmMicroKernel.Nr;
            b1 += CpuGemmMicroKernel.Nr;
        }

        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
    }
}
