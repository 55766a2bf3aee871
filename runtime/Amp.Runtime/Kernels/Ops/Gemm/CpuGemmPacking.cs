using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    private const int Kc = CpuGemm.Kc;

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
        if (Avx.IsSupported)
        {
            PackARows(a, lda, i0, p0, mc, kc, packed, run);
            return;
        }

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
    /// op(A) = A stored [m, k], vectorised: a panel's six rows (converted to FP32 first unless they are FP32) are read
    /// 8 k at a time and transposed in registers (two rows of zeros pad the 8 x 8 transpose), so each k's six values are
    /// written with two stores instead of six scattered ones; the k left over after the last 8 go one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackARows<T>(T* a, int lda, int i0, int p0, int mc, int kc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (mc + Mr - 1) / Mr;
        float** rows = stackalloc float*[8];
        Vector256<float>* v = stackalloc Vector256<float>[8];
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Mr);
            int count = Math.Min(Mr, mc - (panel * Mr));
            for (int r = 0; r < count; r++)
            {
                T* src = a + ((long)(i0 + (panel * Mr) + r) * lda) + p0;
                rows[r] = Fp32Row(src, kc, run + (r * Kc));
            }

            int k = 0;
            for (; k + 8 <= kc; k += 8)
            {
                for (int r = 0; r < 8; r++)
                {
                    v[r] = r < count ? Vector256.Load(rows[r] + k) : Vector256<float>.Zero;
                }

                Transpose8x8(v);
                for (int c = 0; c < 8; c++)
                {
                    // Column c holds the six rows' values at k + c: a 4-wide and a 2-wide store.
                    float* to = dst + ((k + c) * Mr);
                    v[c].GetLower().Store(to);
                    *(double*)(to + 4) = v[c].GetUpper().AsDouble().ToScalar();
                }
            }

            for (; k < kc; k++)
            {
                for (int r = 0; r < Mr; r++)
                {
                    dst[(k * Mr) + r] = r < count ? rows[r][k] : 0f;
                }
            }
        }
    }

    /// <summary>A source row as FP32: the row itself when it is FP32, else converted (vectorised) into <paramref name="scratch"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Fp32Row<T>(T* src, int length, float* scratch)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return (float*)src;
        }

        HostStorage.ToFloats(new ReadOnlySpan<T>(src, length), new Span<float>(scratch, length));
        return scratch;
    }

    /// <summary>
    /// In place: eight rows of 8 floats become their eight columns (v[c][r] = old v[r][c]): unpack pairs, shuffle quads,
    /// swap 128-bit halves, the classic AVX 8 x 8 transpose in 24 instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(Vector256<float>* v)
    {
        Vector256<float> t0 = Avx.UnpackLow(v[0], v[1]), t1 = Avx.UnpackHigh(v[0], v[1]);
        Vector256<float> t2 = Avx.UnpackLow(v[2], v[3]), t3 = Avx.UnpackHigh(v[2], v[3]);
        Vector256<float> t4 = Avx.UnpackLow(v[4], v[5]), t5 = Avx.UnpackHigh(v[4], v[5]);
        Vector256<float> t6 = Avx.UnpackLow(v[6], v[7]), t7 = Avx.UnpackHigh(v[6], v[7]);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        v[0] = Avx.Permute2x128(s0, s4, 0x20);
        v[1] = Avx.Permute2x128(s1, s5, 0x20);
        v[2] = Avx.Permute2x128(s2, s6, 0x20);
        v[3] = Avx.Permute2x128(s3, s7, 0x20);
        v[4] = Avx.Permute2x128(s0, s4, 0x31);
        v[5] = Avx.Permute2x128(s1, s5, 0x31);
        v[6] = Avx.Permute2x128(s2, s6, 0x31);
        v[7] = Avx.Permute2x128(s3, s7, 0x31);
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

            // A low-precision block whose rows are contiguous and whole panels (a short B: attention's V, a head's
            // weight) is converted in one call, not one call per short row.
            bool whole = typeof(T) != typeof(float) && ldb == nc && nc == padded && (long)kc * nc <= CpuGemm.RunFloats;
            if (whole)
            {
                HostStorage.ToFloats(new ReadOnlySpan<T>(b + ((long)p0 * ldb) + j0, kc * nc), new Span<float>(run, kc * nc));
            }

            for (int k = 0; k < kc; k++)
            {
                T* source = b + ((long)(p0 + k) * ldb) + j0;
                float* row;
                if (whole)
                {
                    row = run + (k * nc);
                }
                else if (typeof(T) == typeof(float) && nc == padded)
                {
                    row = (float*)source;   // read in place: whole panels, nothing to pad
                }
                else
                {
                    HostStorage.ToFloats(new ReadOnlySpan<T>(source, nc), new Span<float>(run, nc));
                    row = run;
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

        if (Avx.IsSupported)
        {
            PackBColumns(b, ldb, p0, j0, kc, nc, packed, run);
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

    /// <summary>
    /// op(B) = B^T with B stored [n, k] (a Linear's weight), vectorised: a panel's 16 source rows (converted to FP32 first
    /// unless they are FP32) are read 8 k at a time and transposed in registers, 8 rows at a time, into the panel's k
    /// rows of 16; missing columns of the last panel are zeros; the k left over after the last 8 go one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackBColumns<T>(T* b, int ldb, int p0, int j0, int kc, int nc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (nc + Nr - 1) / Nr;
        float** cols = stackalloc float*[Nr];
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Nr);
            int count = Math.Min(Nr, nc - (panel * Nr));
            T* first = b + ((long)(j0 + (panel * Nr)) * ldb) + p0;
            if (typeof(T) != typeof(float) && ldb == kc)
            {
                // The panel's columns are contiguous (k fits one block: attention's K): one conversion for all of them.
                HostStorage.ToFloats(new ReadOnlySpan<T>(first, count * kc), new Span<float>(run, count * kc));
                for (int col = 0; col < count; col++)
                {
                    cols[col] = run + (col * kc);
                }
            }
            else
            {
                for (int col = 0; col < count; col++)
                {
                    cols[col] = Fp32Row(first + ((long)col * ldb), kc, run + (col * Kc));
                }
            }

            ColumnsToPanel(cols, count, kc, dst);
        }
    }

    /// <summary>
    /// One B panel (kc rows of 16) from its <paramref name="count"/> columns, each kc contiguous FP32 values: read 8 k at
    /// a time and transposed in registers, 8 columns at a time; missing columns are zeros; the k left after the last 8
    /// go one by one. Shared by a Linear's weight (<see cref="PackBColumns{T}"/>) and a convolution's transposed columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnsToPanel(float** cols, int count, int kc, float* dst)
    {
        Vector256<float>* v = stackalloc Vector256<float>[8];
        int k = 0;
        for (; k + 8 <= kc; k += 8)
        {
            for (int half = 0; half < Nr; half += 8)
            {
                for (int r = 0; r < 8; r++)
                {
                    v[r] = half + r < count ? Vector256.Load(cols[half + r] + k) : Vector256<float>.Zero;
                }

                Transpose8x8(v);
                for (int c = 0; c < 8; c++)
                {
                    v[c].Store(dst + ((k + c) * Nr) + half);
                }
            }
        }

        for (; k < kc; k++)
        {
            for (int col = 0; col < Nr; col++)
            {
                dst[(k * Nr) + col] = col < count ? cols[col][k] : 0f;
            }
        }
    }
}
