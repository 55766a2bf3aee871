using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>
/// Copies a block of op(A) or op(B) into the micro-kernel's order, converting BF16/FP16 to FP32 on the way
/// (so low-precision storage costs no extra pass and halves the bytes read) and padding edges with zeros.
/// Contiguous runs of the source are converted with the vectorised bulk converters.
/// </summary>
internal static unsafe class CpuGemmPacking
{
    private const int Mr = CpuGemmMicroKernel.Mr;
    private const int Nr = CpuGemmMicroKernel.Nr;

    /// <summary>Packs op(A)[i0.., p0..] (mc x kc) as ceil(mc/6) panels of kc x 6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(T* a, int lda, bool transposed, int i0, int p0, int mc, int kc, float* packed, float* run)
        where T : unmanaged
    {
        if (transposed)
        {
            PackATransposed(a, lda, i0, p0, mc, kc, packed, run);
            return;
        }

        int panels = (mc + Mr - 1) / Mr;
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Mr);
            int rows = Math.Min(Mr, mc - (panel * Mr));

            // Row i of op(A) is contiguous: convert it, then interleave with stride 6.
            for (int r = 0; r < Mr; r++)
            {
                if (r < rows)
                {
                    T* src = a + ((long)(i0 + (panel * Mr) + r) * lda) + p0;
                    HostStorage.ToFloats(new ReadOnlySpan<T>(src, kc), new Span<float>(run, kc));
                    for (int k = 0; k < kc; k++)
                    {
                        dst[(k * Mr) + r] = run[k];
                    }
                }
                else
                {
                    for (int k = 0; k < kc; k++)
                    {
                        dst[(k * Mr) + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// op(A) = A^T with A stored [k, m] (a weight gradient's dY^T): for each k the block's mc values are contiguous, so
    /// each is converted once, whole (vectorised), and dealt out 6 at a time to the panels; the last panel is zero-padded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackATransposed<T>(T* a, int lda, int i0, int p0, int mc, int kc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (mc + Mr - 1) / Mr;
        int padded = panels * Mr;
        new Span<float>(run + mc, padded - mc).Clear();
        for (int k = 0; k < kc; k++)
        {
            HostStorage.ToFloats(new ReadOnlySpan<T>(a + ((long)(p0 + k) * lda) + i0, mc), new Span<float>(run, mc));
            float* dst = packed + (k * Mr);
            for (int panel = 0; panel < panels; panel++)
            {
                float* from = run + (panel * Mr), to = dst + (panel * kc * Mr);
                // Six values: one 4-wide and one 2-wide move.
                Vector128.Store(Vector128.Load(from), to);
                *(long*)(to + 4) = *(long*)(from + 4);
            }
        }
    }

    /// <summary>Packs op(B)[p0.., j0..] (kc x nc) as ceil(nc/16) panels of kc x 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(T* b, int ldb, bool transposed, int p0, int j0, int kc, int nc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (nc + Nr - 1) / Nr;
        if (!transposed)
        {
            // Row k of B is contiguous over j: the block's nc values are converted in one call (vectorised, one
            // dispatch per row instead of per panel), then dealt out 16 at a time; the last panel is zero-padded.
            int padded = panels * Nr;
            new Span<float>(run + nc, padded - nc).Clear();
            for (int k = 0; k < kc; k++)
            {
                float* row = typeof(T) == typeof(float) && nc == padded ? (float*)(b + ((long)(p0 + k) * ldb) + j0) : run;
                if (row == run)
                {
                    HostStorage.ToFloats(new ReadOnlySpan<T>(b + ((long)(p0 + k) * ldb) + j0, nc), new Span<float>(run, nc));
                }

                float* dst = packed + (k * Nr);
                for (int panel = 0; panel < panels; panel++)
                {
                    float* from = row + (panel * Nr), to = dst + (panel * kc * Nr);
                    Vector256.Store(Vector256.Load(from), to);
                    Vector256.Store(Vector256.Load(from + 8), to + 8);
                }
            }

            return;
        }

        // B is stored [n, k]: column j of op(B) is contiguous over k.
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Nr);
            int cols = Math.Min(Nr, nc - (panel * Nr));
            for (int col = 0; col < Nr; col++)
            {
                if (col < cols)
                {
                    T* src = b + ((long)(j0 + (panel * Nr) + col) * ldb) + p0;
                    HostStorage.ToFloats(new ReadOnlySpan<T>(src, kc), new Span<float>(run, kc));
                    for (int k = 0; k < kc; k++)
                    {
                        dst[(k * Nr) + col] = run[k];
                    }
                }
                else
                {
                    for (int k = 0; k < kc; k++)
                    {
                        dst[(k * Nr) + col] = 0f;
                    }
                }
            }
        }
    }
}
