namespace Amp;

// Pooling and Flatten on [Batch, C, H, W], eager FP64 (PyTorch's F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d
// with padding 0 and floor mode; torch.flatten(x, 1)).
public static partial class Ops
{
    /// <summary>The maximum of each kernelSize x kernelSize window, windows <paramref name="stride"/> apart (PyTorch's default: the kernel size).</summary>
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int? stride = null) => Pool(x, kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, max: true);

    /// <summary>The mean of each kernelSize x kernelSize window, windows <paramref name="stride"/> apart (PyTorch's default: the kernel size).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int? stride = null) => Pool(x, kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, max: false);

    /// <summary>[Batch, C, outputSize, outputSize]: the mean of equal windows; outputSize must divide H and W (1: global average pooling).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outputSize)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Dims.Length != 4 || outputSize <= 0 || x.Dims[2] % outputSize != 0 || x.Dims[3] % outputSize != 0)
        {
            throw new ArgumentException($"AdaptiveAvgPool2d({outputSize}) needs [Batch, C, H, W] with H and W multiples of {outputSize}; got {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        int kh = x.Dims[2] / outputSize, kw = x.Dims[3] / outputSize;
        return Pool(x, kh, kw, kh, kw, max: false);
    }

    /// <summary>[Batch, everything else]: torch.flatten(x, 1).</summary>
    public static Tensor Flatten(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(x.Values, x.Dims[0], x.Length / Math.Max(1, x.Dims[0]));
    }

    private static Tensor Pool(Tensor x, int kh, int kw, int sh, int sw, bool max)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Dims.Length != 4 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || x.Dims[2] < kh || x.Dims[3] < kw)
        {
            throw new ArgumentException($"Pooling with kernel {kh}x{kw} and stride {sh}x{sw} needs [Batch, C, H, W] of at least the kernel; got {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        int planes = x.Dims[0] * x.Dims[1], h = x.Dims[2], w = x.Dims[3], oh = ((h - kh) / sh) + 1, ow = ((w - kw) / sw) + 1;
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int u = 0; u < kh; u++)
                    {
                        for (int v = 0; v < kw; v++)
                        {
                            double value = x.Values[(((p * h) + (i * sh) + u) * w) + (j * sw) + v];
                            acc = max ? (double.IsNaN(value) || value > acc ? value : acc) : acc + value;
                        }
                    }

                    y[(((p * oh) + i) * ow) + j] = max ? acc : acc / (kh * kw);
                }
            }
        }

        return new Tensor(y, x.Dims[0], x.Dims[1], oh, ow);
    }
}
