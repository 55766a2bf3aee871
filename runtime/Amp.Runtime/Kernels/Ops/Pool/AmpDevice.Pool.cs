using System.Runtime.CompilerServices;
namespace Amp;

// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (equal windows) on [Batch, C, H, W], and their backward.
public abstract partial class AmpDevice
{
    /// <summary>
    /// y [B, C, OH, OW] = the max (or mean) of each kernelH x kernelW window of x [B, C, H, W], windows stride apart
    /// (padding 0, floor: OH = (H - kernelH) / strideH + 1). Computed in FP32, stored in y's precision.
    /// </summary>
    public void Pool2d(DeviceTensor x, DeviceTensor y, int kernelH, int kernelW, int strideH, int strideW, bool max)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        Pool2dCore(x, y, Window(x, y, kernelH, kernelW, strideH, strideW, max));
    }

    /// <summary>
    /// dx += the gradient of Pool2d: dy to each window's first maximum (max; NaN counts as the maximum), or dy / (kernelH
    /// kernelW) to every element of its window (mean). dy and dx may be BF16/FP16 (an activation's gradient).
    /// </summary>
    public void Pool2dBackward(DeviceTensor x, DeviceTensor dy, DeviceTensor dx, int kernelH, int kernelW, int strideH, int strideW, bool max)
    {
        Owns(x, nameof(x));
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        ShapeCheck.Same(x, dx, nameof(dx));
        Pool2dBackwardCore(x, dy, dx, Window(x, dy, kernelH, kernelW, strideH, strideW, max));
    }

    private static PoolWindow Window(DeviceTensor x, DeviceTensor y, int kh, int kw, int sh, int sw, bool max)
    {
        ReadOnlySpan<int> d = x.Shape.Dimensions;
        if (d.Length != 4 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || d[2] < kh || d[3] < kw)
        {
            throw new ArgumentException($"Pooling with kernel {kh}x{kw} and stride {sh}x{sw} needs x [Batch, C, H, W] of at least the kernel; got {x}.", nameof(x));
        }

        var window = new PoolWindow(d[0] * d[1], d[2], d[3], kh, kw, sh, sw, max ? 1 : 0);
        if (y.Length != (long)window.Planes * window.OutH * window.OutW)
        {
            throw new ArgumentException($"Pooling {x} with kernel {kh}x{kw} and stride {sh}x{sw} gives [{d[0]}, {d[1]}, {window.OutH}, {window.OutW}]; got {y}.", nameof(y));
        }

        return window;
    }

    private protected abstract void Pool2dCore(DeviceTensor x, DeviceTensor y, PoolWindow window);

    private protected abstract void Pool2dBackwardCore(DeviceTensor x, DeviceTensor dy, DeviceTensor dx, PoolWindow window);
}

/// <summary>One pooling: planes (B x C) of H x W, the kernel, the stride, max (1) or mean (0), and the output size (blittable: an ILGPU kernel argument).</summary>
internal readonly record struct PoolWindow(int Planes, int H, int W, int KernelH, int KernelW, int StrideH, int StrideW, int MaxPooling)
{
    public bool Max => MaxPooling != 0;

    public int OutH => ((H - KernelH) / StrideH) + 1;

    public int OutW => ((W - KernelW) / StrideW) + 1;

    /// <summary>The first element of window (i, j)'s maximum in a plane; NaN wins (PyTorch propagates it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ArgMax(ReadOnlySpan<float> plane, int i, int j)
    {
        int origin = (i * StrideH * W) + (j * StrideW), best = origin;
        float top = plane[origin];
        for (int u = 0; u < KernelH && !float.IsNaN(top); u++)
        {
            ReadOnlySpan<float> row = plane.Slice(origin + (u * W), KernelW);
            for (int v = 0; v < row.Length; v++)
            {
                if (row[v] > top || float.IsNaN(row[v]))
                {
                    best = origin + (u * W) + v;
                    top = row[v];
                    if (float.IsNaN(top))
                    {
                        break;
                    }
                }
            }
        }

        return best;
    }
}
