namespace Amp;

// Conv2d's column passes on Cpu: one sample per work item, its image read (and its gradient added) through FP32.
internal sealed partial class CpuDevice
{
    private protected override void Im2ColCore(DeviceTensor x, DeviceTensor cols, ConvGeometry g)
    {
        var cx = (CpuTensor)x;
        var cc = (CpuTensor)cols;
        int image = g.C * g.H * g.W, columns = g.Patch * g.Pixels;
        CpuParallel.For(g.Batch, columns, image + g.Pixels, (start, end, scratch) =>
        {
            Span<float> input = scratch.AsSpan(0, image), row = scratch.AsSpan(image, g.Pixels);
            for (int b = start; b < end; b++)
            {
                cx.Read(b * image, input);
                for (int r = 0; r < g.Patch; r++)
                {
                    for (int p = 0; p < g.Pixels; p++)
                    {
                        int at = g.Source(r, p);
                        row[p] = at < 0 ? 0f : input[at];
                    }

                    cc.Write((b * columns) + (r * g.Pixels), row);
                }
            }
        });
    }

    private protected override void Col2ImAccumulateCore(DeviceTensor dcols, DeviceTensor dx, ConvGeometry g)
    {
        using Fp32Elements gc = new(dcols), gx = new(dx, accumulate: true);
        float[] c = gc.Values, d = gx.Values;
        int image = g.C * g.H * g.W, columns = g.Patch * g.Pixels;
        CpuParallel.For(g.Batch, columns, 0, (start, end, _) =>
        {
            for (int b = start; b < end; b++)
            {
                for (int r = 0; r < g.Patch; r++)
                {
                    for (int p = 0; p < g.Pixels; p++)
                    {
                        int at = g.Source(r, p);
                        if (at >= 0)
                        {
                            d[(b * image) + at] += c[(b * columns) + (r * g.Pixels) + p];
                        }
                    }
                }
            }
        });
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
