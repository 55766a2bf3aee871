using System.Runtime.CompilerServices;
namespace Amp;

// Conv2d's column passes on Cpu: one sample per work item, its image read (and its gradient added) through FP32, one
// output row's run of pixels at a time (a copy or an axpy at stride 1).
internal sealed partial class CpuDevice
{
    private protected override void Im2ColCore(DeviceTensor x, DeviceTensor cols, ConvGeometry g)
    {
        var cx = (CpuTensor)x;
        var cc = (CpuTensor)cols;
        int image = g.C * g.H * g.W, columns = g.Patch * g.Pixels;
        ColumnPlan plan = new(g);
        CpuParallel.For(g.Batch, columns, image + g.Pixels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> input = scratch.AsSpan(0, image), row = scratch.AsSpan(image, g.Pixels);
            for (int b = start; b < end; b++)
            {
                cx.Read(b * image, input);
                for (int r = 0; r < g.Patch; r++)
                {
                    plan.Gather(input, r, row);
                    cc.Write((b * columns) + (r * g.Pixels), row);
                }
            }
        });
    }

    // The implicit GEMM: the problem is validated as the explicit product would be (same shapes, same GEMM hook), then op(B)
    // is packed from the image (ConvColumns) instead of read from the columns' buffer, which stays untouched.
    private protected override void Conv2dForwardCore(DeviceTensor x, DeviceTensor weight, DeviceTensor cols, DeviceTensor y, ConvGeometry g, GemmOptions options)
    {
        DeviceTensor w = weight.Reshape(y.Shape[1], g.Patch);
        GemmProblem problem = GemmProblem.Validate(this, w, cols, y, options);
        GemmObserver?.Invoke(w.Precision, x.Precision, y.Precision);
        ImplicitGemm(problem, (CpuTensor)w, (CpuTensor)x, (CpuTensor)y, options, g, transposed: false);
    }

    private protected override void Conv2dWeightGradientCore(DeviceTensor dyT, DeviceTensor x, DeviceTensor cols, DeviceTensor colsT, DeviceTensor dw, ConvGeometry g, GemmOptions options)
    {
        DeviceTensor a = dyT.Reshape(dw.Shape[0], g.Batch * g.Pixels);
        GemmProblem problem = GemmProblem.Validate(this, a, colsT.Reshape(g.Patch, g.Batch * g.Pixels), dw, options);
        GemmObserver?.Invoke(a.Precision, x.Precision, dw.Precision);
        ImplicitGemm(problem, (CpuTensor)a, (CpuTensor)x, (CpuTensor)dw, options, g, transposed: true);
    }

    private static void ImplicitGemm(in GemmProblem p, CpuTensor a, CpuTensor x, CpuTensor c, GemmOptions options, ConvGeometry g, bool transposed)
    {
        float[]? bias = options.Bias?.ToArray();
        switch (x.Precision)
        {
            case Precision.Fp32: ImplicitGemm(p, a, x.As<float>(), c, bias, g, transposed); break;
            case Precision.Bf16: ImplicitGemm(p, a, x.As<Bf16>(), c, bias, g, transposed); break;
            default: ImplicitGemm(p, a, x.As<Half>(), c, bias, g, transposed); break;
        }
    }

    private static unsafe void ImplicitGemm<TX>(in GemmProblem p, CpuTensor a, TX[] x, CpuTensor c, float[]? bias, ConvGeometry g, bool transposed)
        where TX : unmanaged
    {
        fixed (TX* image = x)
        {
            var source = transposed ? ConvColumns<TX>.WeightGradient(image, g) : ConvColumns<TX>.Forward(image, g);
            switch (a.Precision)
            {
                case Precision.Fp32: GemmC(p, a.As<float>(), source, c, bias); break;
                case Precision.Bf16: GemmC(p, a.As<Bf16>(), source, c, bias); break;
                default: GemmC(p, a.As<Half>(), source, c, bias); break;
            }
        }
    }

    private protected override void Col2ImAccumulateCore(DeviceTensor dcols, DeviceTensor dx, ConvGeometry g)
    {
        using Fp32Elements gc = new(dcols), gx = new(dx, accumulate: true);
        float[] c = gc.Values, d = gx.Values;
        int image = g.C * g.H * g.W, columns = g.Patch * g.Pixels;
        ColumnPlan plan = new(g);
        CpuParallel.For(g.Batch, columns, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, _) =>
        {
            for (int b = start; b < end; b++)
            {
                for (int r = 0; r < g.Patch; r++)
                {
                    plan.Scatter(c.AsSpan((b * columns) + (r * g.Pixels), g.Pixels), r, d.AsSpan(b * image, image));
                }
            }
        });
    }

    /// <summary>
    /// The geometry of one column row (channel c, kernel offset u, v) resolved once per output row instead of per
    /// element: the source image row of output row i is i stride - padding + u dilation, and the output columns that
    /// read inside the image form one range [first, last) per kernel column v, contiguous in the image at stride 1.
    /// </summary>
    private readonly struct ColumnPlan(ConvGeometry g)
    {
        private readonly int outH = g.OutH, outW = g.OutW;

        /// <summary>The output columns j whose source column j stride - padding + v dilation lies in [0, W).</summary>
        private (int First, int Last) Columns(int v)
        {
            int shift = (v * g.Dilation) - g.Padding;
            int first = shift >= 0 ? 0 : Math.Min(outW, (-shift + g.Stride - 1) / g.Stride);
            int last = g.W - 1 - shift < 0 ? 0 : Math.Min(outW, ((g.W - 1 - shift) / g.Stride) + 1);
            return (first, Math.Max(first, last));
        }

        /// <summary>row[p] = the pixel column row r reads at output pixel p (0 in the padding).</summary>
        public void Gather(ReadOnlySpan<float> input, int r, Span<float> row)
        {
            int v = r % g.K, u = r / g.K % g.K, c = r / (g.K * g.K);
            (int first, int last) = Columns(v);
            int shift = (v * g.Dilation) - g.Padding;
            for (int i = 0; i < outH; i++)
            {
                Span<float> output = row.Slice(i * outW, outW);
                int source = (i * g.Stride) - g.Padding + (u * g.Dilation);
                if (source < 0 || source >= g.H || first == last)
                {
                    output.Clear();
                    continue;
                }

                output[..first].Clear();
                output[last..].Clear();
                int at = (((c * g.H) + source) * g.W) + shift;
                if (g.Stride == 1)
                {
                    input.Slice(at + first, last - first).CopyTo(output[first..last]);
                }
                else
                {
                    for (int j = first; j < last; j++)
                    {
                        output[j] = input[at + (j * g.Stride)];
                    }
                }
            }
        }

        /// <summary>image[the pixel output pixel p of row r read] += row[p]: the gradient of <see cref="Gather"/>.</summary>
        public void Scatter(ReadOnlySpan<float> row, int r, Span<float> image)
        {
            int v = r % g.K, u = r / g.K % g.K, c = r / (g.K * g.K);
            (int first, int last) = Columns(v);
            int shift = (v * g.Dilation) - g.Padding;
            for (int i = 0; i < outH; i++)
            {
                int source = (i * g.Stride) - g.Padding + (u * g.Dilation);
                if (source < 0 || source >= g.H || first == last)
                {
                    continue;
                }

                ReadOnlySpan<float> gradient = row.Slice((i * outW) + first, last - first);
                int at = (((c * g.H) + source) * g.W) + shift;
                if (g.Stride == 1)
                {
                    VectorMath.Axpy(image.Slice(at + first, last - first), gradient, 1f);
                }
                else
                {
                    for (int j = 0; j < gradient.Length; j++)
                    {
                        image[at + ((first + j) * g.Stride)] += gradient[j];
                    }
                }
            }
        }
    }

    private protected override void AddChannelBiasCore(DeviceTensor y, DeviceTensor bias)
    {
        using Fp32Elements gy = new(y, accumulate: true);
        float[] v = gy.Values, b = ((CpuTensor)bias).As<float>();
        int channels = y.Shape[1], pixels = y.Shape[2];
        for (int i = 0; i < y.Shape[0] * channels; i++)
        {
            VectorMath.AddScalar(v.AsSpan(i * pixels, pixels), b[i % channels]);
        }
    }

    private protected override void ChannelSumAccumulateCore(DeviceTensor dy, DeviceTensor dbias)
    {
        using Fp32Elements gy = new(dy);
        float[] g = gy.Values, d = ((CpuTensor)dbias).As<float>();
        int channels = dy.Shape[1], pixels = dy.Shape[2];
        for (int o = 0; o < channels; o++)
        {
            float sum = 0;
            for (int b = 0; b < dy.Shape[0]; b++)
            {
                sum += VectorMath.Sum(g.AsSpan(((b * channels) + o) * pixels, pixels));
            }

            d[o] += sum;
        }
    }
}
