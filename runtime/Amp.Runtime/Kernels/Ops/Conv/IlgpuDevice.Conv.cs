using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Conv2d's column passes on ILGPU: im2col one thread per column element (typed by both storages); col2im one thread
// per image element, gathering the columns that read it (no atomics); bias and its gradient one thread per element / channel.
internal sealed partial class IlgpuDevice
{
    private protected override void Im2ColCore(DeviceTensor x, DeviceTensor cols, ConvGeometry g) =>
        Dispatch2(x, cols, new Im2ColLaunch(this, g, Threads(cols.Length)));

    private readonly record struct Im2ColLaunch(IlgpuDevice Device, ConvGeometry Geometry, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"im2col/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, ConvGeometry, int, SI, SO>(IlgpuModelKernels.Im2Col<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Geometry, Threads, default, default);
        }
    }

    private protected override void Col2ImAccumulateCore(DeviceTensor dcols, DeviceTensor dx, ConvGeometry g)
    {
        using Fp32Copy gc = new(this, dcols), gx = new(this, dx, writeBack: true);
        int threads = Threads(dx.Length);
        Kernel("col2im", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry, int>(IlgpuBackwardKernels.Col2Im))(
            threads, gc.View, gx.View, g, threads);
        Launched();
    }

    private protected override void AddChannelBiasCore(DeviceTensor y, DeviceTensor bias)
    {
        using Fp32Copy gy = new(this, y, writeBack: true), b = new(this, bias);
        int threads = Threads(y.Length);
        Kernel("channelbias", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuModelKernels.AddChannelBias))(
            threads, gy.View, b.View, y.Shape[1], y.Shape[2], threads);
        Launched();
    }

    private protected override void ChannelSumAccumulateCore(DeviceTensor dy, DeviceTensor dbias)
    {
        using Fp32Copy gy = new(this, dy);
        int threads = Threads(dbias.Length);
        Kernel("channelsum", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.ChannelSum))(
            threads, gy.View, F(dbias), dy.Shape[0], dy.Shape[1], dy.Shape[2], threads);
        Launched();
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>cols[b, r, p] = x[b, the pixel row r of output pixel p reads], 0 in the padding.</summary>
    public static void Im2Col<TI, SI, TO, SO>(Index1D index, ArrayView<TI> x, ArrayView<TO> cols, ConvGeometry g, int stride, SI si, SO so)
        where TI : unmanaged where SI : struct, IKernelStorage<TI>
        where TO : unmanaged where SO : struct, IKernelStorage<TO>
    {
        long perSample = (long)g.Patch * g.Pixels, image = (long)g.C * g.H * g.W;
        for (long i = index; i < cols.Length; i += stride)
        {
            long b = i / perSample, rest = i % perSample;
            int at = g.Source((int)(rest / g.Pixels), (int)(rest % g.Pixels));
            cols[i] = so.FromFloat(at < 0 ? 0f : si.ToFloat(x[(b * image) + at]));
        }
    }

    /// <summary>y[b, o, p] += bias[o].</summary>
    public static void AddChannelBias(Index1D index, ArrayView<float> y, ArrayView<float> bias, int channels, int pixels, int stride)
    {
        for (long i = index; i < y.Length; i += stride)
        {
            y[i] += bias[(i / pixels) % channels];
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dx[b, c, h, w] += every column element that read it (the kernel positions that land on the pixel).</summary>
    public static void Col2Im(Index1D index, ArrayView<float> dcols, ArrayView<float> dx, ConvGeometry g, int stride)
    {
        long perSample = (long)g.Patch * g.Pixels, image = (long)g.C * g.H * g.W;
        for (long i = index; i < dx.Length; i += stride)
        {
            long b = i / image;
            int within = (int)(i % image), c = within / (g.H * g.W), row = (within / g.W) % g.H, col = within % g.W;
            float sum = 0f;
            for (int u = 0; u < g.K; u++)
            {
                int top = row + g.Padding - (u * g.Dilation);
                if (top < 0 || top % g.Stride != 0 || top / g.Stride >= g.OutH)
                {
                    continue;
                }

                for (int v = 0; v < g.K; v++)
                {
                    int left = col + g.Padding - (v * g.Dilation);
                    if (left < 0 || left % g.Stride != 0 || left / g.Stride >= g.OutW)
                    {
                        continue;
                    }

                    int r = (((c * g.K) + u) * g.K) + v, p = ((top / g.Stride) * g.OutW) + (left / g.Stride);
                    sum += dcols[(b * perSample) + ((long)r * g.Pixels) + p];
                }
            }

            dx[i] += sum;
        }
    }

    /// <summary>One thread per channel: dbias[o] += sum over b and p of dy[b, o, p].</summary>
    public static void ChannelSum(Index1D index, ArrayView<float> dy, ArrayView<float> dbias, int batch, int channels, int pixels, int stride)
    {
        for (long o = index; o < channels; o += stride)
        {
            float sum = 0f;
            for (int b = 0; b < batch; b++)
            {
                for (int p = 0; p < pixels; p++)
                {
                    sum += dy[(((long)b * channels) + o) * pixels + p];
                }
            }

            dbias[o] += sum;
        }
    }
}
