using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amp;

/// <summary>
/// The register-blocked heart of the Cpu GEMM: a 6 x 16 block of C held in twelve 8-wide FP32 accumulators.
/// Per k: two loads of B, six broadcasts of A, twelve FMAs; with 2 FMA pipes that is 6 cycles of pure FMA,
/// and the 15 live vector registers fit AVX2's 16. Operands come packed (see CpuGemmPacking), so every load
/// is sequential and the block needs no edge handling: packing pads with zeros.
/// </summary>
internal static unsafe class CpuGemmMicroKernel
{
    public const int Mr = 6;
    public const int Nr = 16;

    /// <param name="a">Packed A micro-panel: kc steps of 6 values.</param>
    /// <param name="b">Packed B micro-panel: kc steps of 16 values.</param>
    /// <param name="c">FP32 6 x 16 block of the tile, row stride <paramref name="ldc"/>; loaded first when <paramref name="accumulate"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, float* b, int kc, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }

        // Two k steps per trip halve the loop overhead; the odd step, if any, runs after.
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            Step(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step(a + Mr, b + Nr, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            a += 2 * Mr;
            b += 2 * Nr;
        }

        if (p < kc)
        {
            Step(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }

        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    /// <summary>One k step: two loads of B, six broadcasts of A, twelve FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(
        float* a, float* b,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c10, ref Vector256<float> c11,
        ref Vector256<float> c20, ref Vector256<float> c21, ref Vector256<float> c30, ref Vector256<float> c31,
        ref Vector256<float> c40, ref Vector256<float> c41, ref Vector256<float> c50, ref Vector256<float> c51)
    {
        Vector256<float> b0 = Vector256.Load(b);
        Vector256<float> b1 = Vector256.Load(b + 8);
        Vector256<float> ai = Vector256.Create(a[0]);
        c00 = MulAdd(ai, b0, c00); c01 = MulAdd(ai, b1, c01);
        ai = Vector256.Create(a[1]);
        c10 = MulAdd(ai, b0, c10); c11 = MulAdd(ai, b1, c11);
        ai = Vector256.Create(a[2]);
        c20 = MulAdd(ai, b0, c20); c21 = MulAdd(ai, b1, c21);
        ai = Vector256.Create(a[3]);
        c30 = MulAdd(ai, b0, c30); c31 = MulAdd(ai, b1, c31);
        ai = Vector256.Create(a[4]);
        c40 = MulAdd(ai, b0, c40); c41 = MulAdd(ai, b1, c41);
        ai = Vector256.Create(a[5]);
        c50 = MulAdd(ai, b0, c50); c51 = MulAdd(ai, b1, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;
}
