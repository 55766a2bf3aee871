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
    public static void PackA<T>(T* a, int lda, bool transposed, int i0, int p0, int mc, int kc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (mc + Mr - 1) / Mr;
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Mr);
            int rows = Math.Min(Mr, mc - (panel * Mr));
            if (!transposed)
            {
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
            else
            {
                // A is stored [k, m]: for each k the panel's rows are contiguous.
                for (int k = 0; k < kc; k++)
                {
                    T* src = a + ((long)(p0 + k) * lda) + i0 + (panel * Mr);
                    for (int r = 0; r < Mr; r++)
                    {
                        dst[(k * Mr) + r] = r < rows ? HostStorage.ToFloat(src[r]) : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[p0.., j0..] (kc x nc) as ceil(nc/16) panels of kc x 16.</summary>
    public static void PackB<T>(T* b, int ldb, bool transposed, int p0, int j0, int kc, int nc, float* packed, float* run)
        where T : unmanaged
    {
        int panels = (nc + Nr - 1) / Nr;
        if (!transposed)
        {
            // Row k of B is contiguous over j: full panels convert straight into place (16 values, one
            // vector step); only a ragged last panel goes through the run buffer and is zero-padded.
            for (int k = 0; k < kc; k++)
            {
                T* src = b + ((long)(p0 + k) * ldb) + j0;
                for (int panel = 0; panel < panels; panel++)
                {
                    float* dst = packed + (panel * kc * Nr) + (k * Nr);
                    int cols = Math.Min(Nr, nc - (panel * Nr));
                    if (cols == Nr)
                    {
                        HostStorage.ToFloats(new ReadOnlySpan<T>(src + (panel * Nr), Nr), new Span<float>(dst, Nr));
                    }
                    else
                    {
                        HostStorage.ToFloats(new ReadOnlySpan<T>(src + (panel * Nr), cols), new Span<float>(run, cols));
                        new ReadOnlySpan<float>(run, cols).CopyTo(new Span<float>(dst, cols));
                        new Span<float>(dst + cols, Nr - cols).Clear();
                    }
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
