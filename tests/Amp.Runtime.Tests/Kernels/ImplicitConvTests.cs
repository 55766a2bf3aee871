using Xunit;

namespace Amp.Runtime.Tests.Kernels;

/// <summary>
/// The Cpu convolution's implicit GEMMs (columns gathered from the image while packing) against the explicit
/// im2col + GEMM they replace: the same packed values in the same order, so the results are bit-identical — over
/// strides, paddings, dilations, several column blocks (more than 256 pixels), several depth blocks (C k k past 256),
/// FP32 and BF16 storage, forward and weight gradient; the columns' buffers stay untouched.
/// </summary>
public sealed class ImplicitConvTests
{
    public static TheoryData<int, int, int, int, int, int, int, Precision> Cases() => new()
    {
        // C, H, W, k, stride, padding, dilation, storage
        { 3, 7, 6, 3, 1, 1, 1, Precision.Fp32 },
        { 2, 9, 8, 3, 2, 2, 1, Precision.Bf16 },
        { 1, 6, 6, 2, 1, 0, 2, Precision.Fp32 },
        { 2, 20, 17, 3, 1, 1, 1, Precision.Bf16 },    // 340 pixels: two column blocks
        { 32, 5, 5, 3, 1, 1, 1, Precision.Fp32 },     // C k k = 288: two depth blocks
        { 4, 6, 7, 5, 2, 3, 1, Precision.Fp16 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_weight_gradient_equal_the_explicit_columns(int c, int h, int w, int k, int stride, int padding, int dilation, Precision storage)
    {
        const int batch = 3, outChannels = 5;
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        int oh = Conv2d.OutputSize(h, k, stride, padding, dilation), ow = Conv2d.OutputSize(w, k, stride, padding, dilation);
        int patch = c * k * k, pixels = oh * ow;
        var random = new Random(c * 31 + h + w + k + stride + padding + dilation);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f).ToArray();

        using DeviceTensor x = device.FromHost(Values(batch * c * h * w), storage, batch, c, h, w);
        using DeviceTensor weight = device.FromHost(Values(outChannels * patch), storage, outChannels, patch);
        using DeviceTensor dyT = device.FromHost(Values(outChannels * batch * pixels), storage, outChannels, batch * pixels);

        // Explicit: the columns written out, then the products.
        using DeviceTensor cols = device.Allocate(storage, batch, patch, pixels);
        using DeviceTensor colsT = device.Allocate(storage, patch, batch, pixels);
        using DeviceTensor yExplicit = device.Allocate(Precision.Fp32, batch, outChannels, pixels);
        using DeviceTensor dwExplicit = device.FromHost(Values(outChannels * patch), Precision.Fp32, outChannels, patch);
        device.Im2Col(x, cols, k, stride, padding, dilation);
        device.Gemm(weight, cols, yExplicit);
        device.SwapMiddle(cols, colsT, 1, batch, patch, pixels);
        var accumulate = new GemmOptions { TransposeB = true, Beta = 1f };
        float[] dwStart = dwExplicit.ToArray();
        device.Gemm(dyT, colsT.Reshape(patch, batch * pixels), dwExplicit, accumulate);

        // Implicit: the same products with untouched (poisoned) columns' buffers.
        using DeviceTensor poisonCols = device.FromHost(Enumerable.Repeat(float.NaN, batch * patch * pixels).ToArray(), storage, batch, patch, pixels);
        using DeviceTensor poisonColsT = device.FromHost(Enumerable.Repeat(float.NaN, batch * patch * pixels).ToArray(), storage, patch, batch, pixels);
        using DeviceTensor yImplicit = device.Allocate(Precision.Fp32, batch, outChannels, pixels);
        using DeviceTensor dwImplicit = device.FromHost(dwStart, Precision.Fp32, outChannels, patch);
        device.Conv2dForward(x, weight, poisonCols, yImplicit, k, stride, padding, dilation);
        device.Conv2dWeightGradient(dyT, x, poisonCols, poisonColsT, dwImplicit, k, stride, padding, dilation, accumulate);

        Assert.Equal(yExplicit.ToArray(), yImplicit.ToArray());
        Assert.Equal(dwExplicit.ToArray(), dwImplicit.ToArray());
        Assert.All(poisonCols.ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void A_wrong_weight_shape_names_both_shapes()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using DeviceTensor x = device.Allocate(Precision.Fp32, 2, 3, 5, 5);
        using DeviceTensor cols = device.Allocate(Precision.Fp32, 2, 27, 25);
        using DeviceTensor weight = device.Allocate(Precision.Fp32, 4, 26);
        using DeviceTensor y = device.Allocate(Precision.Fp32, 2, 4, 25);
        var error = Assert.Throws<ArgumentException>(() => device.Conv2dForward(x, weight, cols, y, 3, 1, 1, 1));
        Assert.Equal("weight", error.ParamName);
        Assert.Contains("[4, 27]", error.Message);
        Assert.Contains("[4, 26]", error.Message);
    }
}
