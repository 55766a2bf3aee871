namespace Amp;

// Conv2d as im2col + GEMM: the patches of x as columns (in x's precision, so the product reads uniform operands), the
// product with the weight, the bias per channel; the backward scatters column gradients back into the image.
public abstract partial class AmpDevice
{
    /// <summary>
    /// cols [B, C k k, OH OW] = the k x k patches of x [B, C, H, W] (stride, zero padding, dilation), one column per
    /// output pixel, in cols' precision: the right operand of Conv2d's product with the weight [O, C k k].
    /// </summary>
    public void Im2Col(DeviceTensor x, DeviceTensor cols, int kernelSize, int stride, int padding, int dilation)
    {
        Owns(x, nameof(x));
        Owns(cols, nameof(cols));
        Im2ColCore(x, cols, Geometry(x, cols, kernelSize, stride, padding, dilation));
    }

    /// <summary>dx [B, C, H, W] += the column gradients dcols [B, C k k, OH OW] summed back onto the pixels they were read from.</summary>
    public void Col2ImAccumulate(DeviceTensor dcols, DeviceTensor dx, int kernelSize, int stride, int padding, int dilation)
    {
        Owns(dcols, nameof(dcols));
        Owns(dx, nameof(dx));
        Col2ImAccumulateCore(dcols, dx, Geometry(dx, dcols, kernelSize, stride, padding, dilation));
    }

    /// <summary>
    /// Conv2d's product, y [B, O, OH OW] = weight [O, C k k] cols(x) for every sample, FP32 accumulation. <paramref name="cols"/>
    /// [B, C k k, OH OW] is the columns' buffer for a device that writes them out (ILGPU: <see cref="Im2Col"/>, then the
    /// GEMM); the Cpu gathers the columns from the image while packing (an implicit GEMM) and leaves it untouched.
    /// </summary>
    public void Conv2dForward(DeviceTensor x, DeviceTensor weight, DeviceTensor cols, DeviceTensor y, int kernelSize, int stride, int padding, int dilation, GemmOptions? options = null)
    {
        Owns(x, nameof(x));
        Owns(weight, nameof(weight));
        Owns(cols, nameof(cols));
        Owns(y, nameof(y));
        ConvGeometry g = Geometry(x, cols, kernelSize, stride, padding, dilation);
        if (weight.Length != (long)y.Shape[1] * g.Patch || y.Shape.Rank != 3 || y.Shape[0] != g.Batch || y.Shape[2] != g.Pixels)
        {
            throw new ArgumentException($"Conv2d of {x} into {y} needs a weight [{(y.Shape.Rank == 3 ? y.Shape[1] : 0)}, {g.Patch}] and y [{g.Batch}, O, {g.Pixels}]; got weight {weight}.", nameof(weight));
        }

        Conv2dForwardCore(x, weight, cols, y, g, options ?? GemmOptions.Default);
    }

    /// <summary>
    /// Conv2d's weight gradient, dW [O, C k k] (FP32) op= dyT [O, B OH OW] cols^T: the product over the whole batch, with
    /// <paramref name="options"/> (Beta = 1 accumulates). <paramref name="cols"/> [B, C k k, OH OW] and
    /// <paramref name="colsT"/> [C k k, B, OH OW] are the buffers of a device that writes the columns out; the Cpu gathers
    /// them from the image while packing.
    /// </summary>
    public void Conv2dWeightGradient(DeviceTensor dyT, DeviceTensor x, DeviceTensor cols, DeviceTensor colsT, DeviceTensor dw,
        int kernelSize, int stride, int padding, int dilation, GemmOptions options)
    {
        Owns(dyT, nameof(dyT));
        Owns(x, nameof(x));
        Owns(cols, nameof(cols));
        Owns(colsT, nameof(colsT));
        Owns(dw, nameof(dw));
        ConvGeometry g = Geometry(x, cols, kernelSize, stride, padding, dilation);
        if (colsT.Length != cols.Length || dw.Shape.Rank != 2 || dw.Shape[1] != g.Patch || dyT.Length != (long)dw.Shape[0] * g.Batch * g.Pixels)
        {
            throw new ArgumentException($"Conv2d's weight gradient of {x} needs dW [O, {g.Patch}] and dyT [O, {g.Batch * g.Pixels}]; got dW {dw}, dyT {dyT}, colsT {colsT}.", nameof(dw));
        }

        Conv2dWeightGradientCore(dyT, x, cols, colsT, dw, g, options);
    }

    /// <summary>The columns written out, then the GEMM (ILGPU); the Cpu overrides it with the implicit GEMM.</summary>
    private protected virtual void Conv2dForwardCore(DeviceTensor x, DeviceTensor weight, DeviceTensor cols, DeviceTensor y, ConvGeometry g, GemmOptions options)
    {
        Im2ColCore(x, cols, g);
        Gemm(weight.Reshape(y.Shape[1], g.Patch), cols, y, options);
    }

    private protected virtual void Conv2dWeightGradientCore(DeviceTensor dyT, DeviceTensor x, DeviceTensor cols, DeviceTensor colsT, DeviceTensor dw, ConvGeometry g, GemmOptions options)
    {
        Im2ColCore(x, cols, g);
        SwapMiddle(cols, colsT, 1, g.Batch, g.Patch, g.Pixels);
        Gemm(dyT.Reshape(dw.Shape[0], g.Batch * g.Pixels), colsT.Reshape(g.Patch, g.Batch * g.Pixels), dw, options);
    }

    /// <summary>y [B, O, P] += bias [O] (FP32) on every pixel of channel o; computed in FP32, rounded once to y's precision.</summary>
    public void AddChannelBias(DeviceTensor y, DeviceTensor bias)
    {
        Owns(y, nameof(y));
        Owns(bias, nameof(bias));
        ChannelCheck(y, bias, nameof(bias));
        AddChannelBiasCore(y, bias);
    }

    /// <summary>dbias [O] (FP32) += the sum over the batch and the pixels of dy [B, O, P]: the gradient of <see cref="AddChannelBias"/>.</summary>
    public void ChannelSumAccumulate(DeviceTensor dy, DeviceTensor dbias)
    {
        Owns(dy, nameof(dy));
        Gradients(nameof(dbias), dbias);
        ChannelCheck(dy, dbias, nameof(dbias));
        ChannelSumAccumulateCore(dy, dbias);
    }

    private static void ChannelCheck(DeviceTensor y, DeviceTensor bias, string name)
    {
        if (y.Shape.Rank != 3 || y.Shape[1] != bias.Length)
        {
            throw new ArgumentException($"'{name}' {bias.Shape} must have one value per channel of [B, O, P] {y.Shape}.", name);
        }
    }

    private static ConvGeometry Geometry(DeviceTensor x, DeviceTensor cols, int k, int stride, int padding, int dilation)
    {
        ReadOnlySpan<int> d = x.Shape.Dimensions;
        if (d.Length != 4 || k <= 0 || stride <= 0 || padding < 0 || dilation <= 0)
        {
            throw new ArgumentException($"Conv2d needs [Batch, C, H, W] and a positive kernel, stride and dilation; got {x} with kernel {k}, stride {stride}, padding {padding}, dilation {dilation}.", nameof(x));
        }

        var g = new ConvGeometry(d[0], d[1], d[2], d[3], k, stride, padding, dilation);
        if (g.OutH <= 0 || g.OutW <= 0 || cols.Length != (long)g.Batch * g.Patch * g.Pixels)
        {
            throw new ArgumentException($"Conv2d of {x} with kernel {k}, stride {stride}, padding {padding}, dilation {dilation} has columns [{g.Batch}, {g.Patch}, {g.Pixels}]; got {cols}.", nameof(cols));
        }

        return g;
    }

    private protected abstract void Im2ColCore(DeviceTensor x, DeviceTensor cols, ConvGeometry g);

    private protected abstract void Col2ImAccumulateCore(DeviceTensor dcols, DeviceTensor dx, ConvGeometry g);

    private protected abstract void AddChannelBiasCore(DeviceTensor y, DeviceTensor bias);

    private protected abstract void ChannelSumAccumulateCore(DeviceTensor dy, DeviceTensor dbias);
}

/// <summary>One convolution's geometry: the image, the square kernel, stride, padding, dilation; columns are Patch x Pixels per sample.</summary>
internal readonly record struct ConvGeometry(int Batch, int C, int H, int W, int K, int Stride, int Padding, int Dilation)
{
    public int OutH => ((H + (2 * Padding) - (Dilation * (K - 1)) - 1) / Stride) + 1;

    public int OutW => ((W + (2 * Padding) - (Dilation * (K - 1)) - 1) / Stride) + 1;

    /// <summary>C k k: the rows of the columns, one per (channel, kernel row, kernel column).</summary>
    public int Patch => C * K * K;

    public int Pixels => OutH * OutW;

    /// <summary>The image element that column row <paramref name="r"/> reads at output pixel <paramref name="p"/>, or -1 in the padding (a plane offset within one sample).</summary>
    public int Source(int r, int p)
    {
        int v = r % K, u = (r / K) % K, c = r / (K * K);
        int row = ((p / OutW) * Stride) - Padding + (u * Dilation), col = ((p % OutW) * Stride) - Padding + (v * Dilation);
        return row < 0 || row >= H || col < 0 || col >= W ? -1 : (((c * H) + row) * W) + col;
    }
}
