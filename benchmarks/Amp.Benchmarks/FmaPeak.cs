using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amp.Benchmarks;

/// <summary>
/// The machine's FP32 FMA peak, measured: 12 independent FMA chains per core (enough to cover the FMA latency on two
/// pipes), as wide as the GEMM's kernel (16 lanes with AVX-512, else 8), on every core at once. This is the ceiling GEMM
/// is judged against.
/// </summary>
public static class FmaPeak
{
    private static readonly Lazy<double> Measured = new(Measure);

    /// <summary>GFLOP/s on all cores (best of several short runs).</summary>
    public static double AllCoresGflops => Measured.Value;

    /// <summary>The widest FMA the GEMM uses: 16 lanes where its AVX-512 kernel runs, else 8.</summary>
    public static int Lanes => CpuGemmMicroKernel512.Enabled ? 16 : 8;

    public static long FlopsPerChainCall => 12L * Lanes * 2 * Iterations;

    private const int Iterations = 1 << 22;

    private static double Measure()
    {
        double best = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int cores = Environment.ProcessorCount;
            var sw = Stopwatch.StartNew();
            Parallel.For(0, cores, _ => Chains(1.0000001f));
            double seconds = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, cores * FlopsPerChainCall / seconds / 1e9);
        }

        return best;
    }

    /// <summary>Runs 12 FMA chains of the GEMM's width for <see cref="Iterations"/> steps; returns a value so nothing is optimised away.</summary>
    public static float Chains(float seed) => Lanes == 16 ? Chains512(seed) : Chains256(seed);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(float seed)
    {
        Vector512<float> m = Vector512.Create(seed), a = Vector512.Create(1e-7f);
        Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a); c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
            c3 = Avx512F.FusedMultiplyAdd(c3, m, a); c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a); c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
            c9 = Avx512F.FusedMultiplyAdd(c9, m, a); c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(float seed)
    {
        Vector256<float> m = Vector256.Create(seed), a = Vector256.Create(1e-7f);
        Vector256<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = F(c0, m, a); c1 = F(c1, m, a); c2 = F(c2, m, a); c3 = F(c3, m, a);
            c4 = F(c4, m, a); c5 = F(c5, m, a); c6 = F(c6, m, a); c7 = F(c7, m, a);
            c8 = F(c8, m, a); c9 = F(c9, m, a); c10 = F(c10, m, a); c11 = F(c11, m, a);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> F(Vector256<float> c, Vector256<float> m, Vector256<float> a) =>
        Fma.IsSupported ? Fma.MultiplyAdd(c, m, a) : (c * m) + a;
}
