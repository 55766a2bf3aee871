using Xunit;

namespace Amp.Runtime.Tests.Kernels;

/// <summary>
/// Conv2d's column passes (im2col and its gradient) on Cpu, which walk runs of output pixels, against the
/// per-element definition (the pixel each column entry reads) for strides, paddings wider than the image, dilations
/// and kernels larger than the padded image's remainder; BF16 columns round each entry once.
/// </summary>
public sealed class ColumnTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries() => new()
    {
        // C, H, W, k, stride, padding, dilation
        { 2, 5, 5, 3, 1, 1, 1 },
        { 1, 6, 5, 3, 2, 0, 1 },
        { 3, 7, 6, 3, 3, 2, 1 },
        { 1, 6, 6, 2, 1, 0, 2 },
        { 2, 4, 3, 3, 2, 3, 2 },
        { 1, 2, 2, 1, 1, 3, 1 },
        { 2, 9, 4, 5, 2, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2col_and_its_gradient_match_the_per_element_definition(int c, int h, int w, int k, int stride, int padding, int dilation)
    {
        const int batch = 2;
        int oh = Conv2d.OutputSize(h, k, stride, padding, dilation), ow = Conv2d.OutputSize(w, k, stride, padding, dilation);
        int patch = c * k * k, pixels = oh * ow, image = c * h * w;
        var random = new Random(c + h + w + k + stride + padding + dilation);
        float[] x = Enumerable.Range(0, batch * image).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] g = Enumerable.Range(0, batch * patch * pixels).Select(_ => random.NextSingle() - 0.5f).ToArray();

        // The definition: column row (ch, u, v) at output pixel (i, j) reads x[ch, i s - p + u d, j s - p + v d], 0 outside.
        var cols = new float[g.Length];
        var dx = new float[x.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int r = 0; r < patch; r++)
            {
                int ch = r / (k * k), u = r / k % k, v = r % k;
                for (int p = 0; p < pixels; p++)
                {
                    int row = (p / ow * stride) - padding + (u * dilation), col = (p % ow * stride) - padding + (v * dilation);
                    if (row >= 0 && row < h && col >= 0 && col < w)
                    {
                        int at = (b * image) + (((ch * h) + row) * w) + col, entry = (((b * patch) + r) * pixels) + p;
                        cols[entry] = x[at];
                        dx[at] += g[entry];
                    }
                }
            }
        }

        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using DeviceTensor xs = device.FromHost(x, Precision.Fp32, batch, c, h, w);
        foreach (Precision storage in new[] { Precision.Fp32, Precision.Bf16 })
        {
            using DeviceTensor columns = device.Allocate(storage, batch, patch, pixels);
            device.Fill(columns, float.NaN);
            device.Im2Col(xs, columns, k, stride, padding, dilation);
            float[] expected = storage == Precision.Fp32 ? cols : cols.Select(v => Bf16.FromFloat(v).ToFloat()).ToArray();
            Assert.Equal(expected, columns.ToArray());
        }

        using DeviceTensor gradient = device.FromHost(g, Precision.Fp32, batch, patch, pixels);
        using DeviceTensor dxs = device.Allocate(Precision.Fp32, batch, c, h, w);
        device.Fill(dxs, 0f);
        device.Col2ImAccumulate(gradient, dxs, k, stride, padding, dilation);
        float[] actual = dxs.ToArray();
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - dx[i]) <= 1e-6f, $"dx[{i}] {actual[i]} vs {dx[i]}");
        }
    }
}
