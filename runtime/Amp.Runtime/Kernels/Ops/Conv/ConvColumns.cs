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

        // op(B)[k = sample pixel q, n = row r]: each column is row r over the batch's pixels [p0, p0 + kc), interleaved.
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (panel * kc * Nr);
            for (int col = 0; col < Nr; col++)
            {
                int n = (panel * Nr) + col;
                if (n < nc)
                {
                    Gather(j0 + n, p0, kc, run);
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
                // FP16's scalar conversion is software: it always goes through the vectorised bulk converter.
                if (g.Stride == 1 && (until - from >= 32 || typeof(TX) == typeof(Half)))
                {
                    HostStorage.ToFloats(new ReadOnlySpan<TX>(row + from, until - from), new Span<float>(to + (from - j), until - from));
                }
                else
                {
                    // Short runs (a small image's rows) and strided reads: element by element, the conversion inlined.
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
}
