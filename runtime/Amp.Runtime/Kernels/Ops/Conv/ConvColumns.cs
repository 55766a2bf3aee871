using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>
/// A convolution's columns as an implicit GEMM operand: column row r (channel c, kernel offset u, v) at output pixel p is
/// the image pixel (p / OW stride - padding + u dilation, p % OW stride - padding + v dilation) of channel c, or 0 in the
/// padding. Packing gathers them straight from the image (converting BF16/FP16 on the way, a contiguous run per output
/// row at stride 1), so neither the columns nor their transpose is ever written to memory.
/// Two views: <see cref="Forward"/> is op(B) = cols [C k k, OH OW] of each sample (y = W cols); <see cref="WeightGradient"/>
/// is op(B) = the columns of the whole batch transposed, [B OH OW, C k k] (dW = dY cols^T summed over the batch as one
/// product over B OH OW).
/// </summary>
internal readonly unsafe struct ConvColumns<TX>(TX* image, ConvGeometry g, bool transposed) : IPackedB
    where TX : unmanaged
{
    private const int Nr = CpuGemmMicroKernel.Nr;

    public static ConvColumns<TX> Forward(TX* image, ConvGeometry g) => new(image, g, transposed: false);

    public static ConvColumns<TX> WeightGradient(TX* image, ConvGeometry g) => new(image, g, transposed: true);

    public bool IsFp32 => typeof(TX) == typeof(float);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int batch, int p0, int j0, int kc, int nc, float* packed, float* run)
    {
        int panels = (nc + Nr - 1) / Nr;
        if (!transposed)
        {
            // op(B)[k = row r, n = pixel]: row r over the pixels [j0, j0 + nc) of this sample, dealt out 16 at a time.
            new Span<float>(run + nc, (panels * Nr) - nc).Clear();
            for (int k = 0; k < kc; k++)
            {
                Gather(p0 + k, ((long)batch * g.Pixels) + j0, nc, run);
                float* dst = packed + (k * Nr);
                for (int panel = 0; panel < panels; panel++)
                {
                    Vector256.Store(Vector256.Load(run + (panel * Nr)), dst + (panel * kc * Nr));
                    Vector256.Store(Vector256.Load(run + (panel * Nr) + 8), dst + (panel * kc * Nr) + 8);
                }
            }

            return;
        }

        // op(B)[k = sample pixel q, n = row r]: column n is row r over the batch's pixels [p0, p0 + kc). A panel's 16
        // columns are gathered side by side in the run scratch (16 x Kc floats), then transposed into the panel 8 x 8.
        float** cols = stackalloc float*[Nr];
        for (int panel = 0; panel < panels; panel++)
        {
            int count = Math.Min(Nr, nc - (panel * Nr));
            for (int col = 0; col < count; col++)
            {
                cols[col] = run + (col * CpuGemm.Kc);
                Gather(j0 + (panel * Nr) + col, p0, kc, cols[col]);
            }

            CpuGemmPacking.ColumnsToPanel(cols, count, kc, packed + (panel * kc * Nr));
        }
    }

    /// <summary>
    /// dst[i] = column row <paramref name="r"/> at the batch-wide pixel index q0 + i (sample q / (OH OW), pixel q mod (OH OW)),
    /// for <paramref name="count"/> indices: one output row's valid run at a time, padding as zeros.
    /// </summary>
    private void Gather(int r, long q0, int count, float* dst)
    {
        int v = r % g.K, u = r / g.K % g.K, c = r / (g.K * g.K);
        int shiftW = (v * g.Dilation) - g.Padding;
        int first = shiftW >= 0 ? 0 : Math.Min(g.OutW, (-shiftW + g.Stride - 1) / g.Stride);
        int last = g.W - 1 - shiftW < 0 ? 0 : Math.Min(g.OutW, ((g.W - 1 - shiftW) / g.Stride) + 1);
        last = Math.Max(first, last);
        long plane = (long)g.C * g.H * g.W;

        // Where q0 falls, divided once; the walk then advances row by row.
        int sample = (int)(q0 / g.Pixels), pixel = (int)(q0 % g.Pixels);
        int i = pixel / g.OutW, j = pixel % g.OutW;
        int done = 0;
        while (done < count)
        {
            int span = Math.Min(g.OutW - j, count - done);   // the rest of this output row, or of the request
            float* to = dst + done;
            int source = (i * g.Stride) - g.Padding + (u * g.Dilation);
            if (source < 0 || source >= g.H)
            {
                new Span<float>(to, span).Clear();
            }
            else
            {
                // Columns [j, j + span) of output row i: zeros outside [first, last), the image inside.
                int from = Math.Clamp(first, j, j + span), until = Math.Clamp(last, j, j + span);
                for (int x = j; x < from; x++)
                {
                    to[x - j] = 0f;
                }

                for (int x = until; x < j + span; x++)
                {
                    to[x - j] = 0f;
                }

                TX* row = image + (sample * plane) + (((long)((c * g.H) + source)) * g.W) + shiftW;
                if (g.Stride == 1)
                {
                    CopyRun(row + from, to + (from - j), until - from);
                }
                else
                {
                    // Strided reads: element by element, the conversion inlined.
                    for (int x = from; x < until; x++)
                    {
                        to[x - j] = HostStorage.ToFloat(row[x * g.Stride]);
                    }
                }
            }

            done += span;
            j = 0;
            if (++i == g.OutH)
            {
                i = 0;
                sample++;
            }
        }
    }

    /// <summary>
    /// dst[0, n) = src[0, n) as FP32. A small image's rows are short (7 to 28 pixels), so FP32 and BF16 are copied 8 at a
    /// time with one overlapping vector for the tail (no call, no scalar loop); FP16, whose scalar conversion is software,
    /// and long runs go through the bulk converters.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(TX* src, float* dst, int n)
    {
        if (n >= 64 || typeof(TX) == typeof(Half))
        {
            HostStorage.ToFloats(new ReadOnlySpan<TX>(src, n), new Span<float>(dst, n));
            return;
        }

        if (n < 8 || !Vector256.IsHardwareAccelerated)
        {
            for (int x = 0; x < n; x++)
            {
                dst[x] = HostStorage.ToFloat(src[x]);
            }

            return;
        }

        for (int x = 0; ; x += 8)
        {
            int at = Math.Min(x, n - 8);   // the last vector overlaps the one before: the same values written twice
            Vector256.Store(Load8(src + at), dst + at);
            if (at == n - 8)
            {
                return;
            }
        }
    }

    /// <summary>Eight values as FP32: FP32 loaded, BF16 widened (its bits are FP32's upper half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(TX* src) => typeof(TX) == typeof(float)
        ? Vector256.Load((float*)src)
        : Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)src).ToVector256Unsafe()), 16).AsSingle();
}
