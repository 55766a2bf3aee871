namespace Amp.Tests;

/// <summary>
/// PyTorch's gradient rule on the kernels: an activation's gradient may be BF16 or FP16. A backward kernel widens it,
/// computes in FP32 exactly as for FP32 gradients, and rounds what it accumulated once: the result is the FP32
/// kernel's on the same stored values, rounded, to the bit, on Cpu and IlgpuCpu.
/// </summary>
public sealed class LowPrecisionGradientTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    public static TheoryData<DeviceKind, Precision> Cases()
    {
        var cases = new TheoryData<DeviceKind, Precision>();
        foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu })
        {
            cases.Add(kind, Precision.Bf16);
            cases.Add(kind, Precision.Fp16);
        }

        return cases;
    }

    /// <summary>Runs <paramref name="kernel"/> with gradients (dy, dx) in <paramref name="precision"/> and in FP32 on the same stored values; the bits must be the FP32 result rounded.</summary>
    private void Agree(DeviceKind kind, Precision precision, int[] dyShape, int[] dxShape, Action<AmpDevice, DeviceTensor, DeviceTensor> kernel)
    {
        AmpDevice device = devices.Get(kind);
        float[] dy = Stored(TestData.Uniform(dyShape.Aggregate(1, (a, b) => a * b), seed: 11), precision);
        float[] dx = Stored(TestData.Uniform(dxShape.Aggregate(1, (a, b) => a * b), seed: 12), precision);
        using DeviceTensor lowDy = device.FromHost(dy, precision, dyShape), lowDx = device.FromHost(dx, precision, dxShape);
        using DeviceTensor wideDy = device.FromHost(dy, Precision.Fp32, dyShape), wideDx = device.FromHost(dx, Precision.Fp32, dxShape);
        kernel(device, lowDy, lowDx);
        kernel(device, wideDy, wideDx);
        float[] expected = Stored(wideDx.ToArray(), precision), actual = lowDx.ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(Stored(dy, precision), lowDy.ToArray());
    }

    private static float[] Stored(float[] values, Precision precision) => TestData.Stored(values, precision).Select(v => (float)v).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layout_backward(DeviceKind kind, Precision precision) =>
        Agree(kind, precision, [2, 3, 4, 5], [2, 4, 3, 5], (d, dy, dx) => d.SwapMiddleAccumulate(dy, dx, 2, 3, 4, 5));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Causal_mask_backward(DeviceKind kind, Precision precision) =>
        Agree(kind, precision, [2, 6, 6], [2, 6, 6], (d, dy, dx) => d.CausalMaskBackward(dy, dx));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Accumulate_rows_and_broadcast(DeviceKind kind, Precision precision)
    {
        Agree(kind, precision, [7, 9], [9], (d, dy, dx) => d.AccumulateRows(dy, dx));
        Agree(kind, precision, [7, 9], [7, 9], (d, dy, dx) => d.AccumulateRows(dy, dx));
        Agree(kind, precision, [7], [7, 9], (d, dy, dx) => d.BroadcastRowsAccumulate(dy, dx, 0.25f));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_backward(DeviceKind kind, Precision precision)
    {
        AmpDevice device = devices.Get(kind);
        using DeviceTensor x = device.FromHost(TestData.Uniform(4 * 10, seed: 3, scale: 3), Precision.Fp32, 4, 10), y = device.Allocate(precision, 4, 10);
        device.Softmax(x, y);
        Agree(kind, precision, [4, 10], [4, 10], (d, dy, dx) => d.SoftmaxBackward(y, dy, dx, log: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Norm_backward_to_the_input(DeviceKind kind, Precision precision)
    {
        AmpDevice device = devices.Get(kind);
        using DeviceTensor x = device.FromHost(TestData.Uniform(5 * 8, seed: 4, scale: 2), Precision.Fp32, 5, 8);
        using DeviceTensor w = device.FromHost(TestData.Uniform(8, seed: 5), Precision.Fp32, 8), b = device.FromHost(new float[8], Precision.Fp32, 8);
        using DeviceTensor y = device.Allocate(Precision.Fp32, 5, 8), mean = device.Allocate(Precision.Fp32, 5), rstd = device.Allocate(Precision.Fp32, 5);
        device.LayerNorm(x, w, b, y, mean, rstd, 1e-5f);
        using DeviceTensor dw = device.Allocate(Precision.Fp32, 8), db = device.Allocate(Precision.Fp32, 8);
        Agree(kind, precision, [5, 8], [5, 8], (d, dy, dx) => d.NormBackward(x, w, mean, rstd, dy, dx, dw, db));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cross_entropy_and_mse_backward(DeviceKind kind, Precision precision)
    {
        AmpDevice device = devices.Get(kind);
        using DeviceTensor logits = device.FromHost(TestData.Uniform(6 * 5, seed: 6, scale: 2), Precision.Fp32, 6, 5), logProbs = device.Allocate(Precision.Fp32, 6, 5);
        device.LogSoftmax(logits, logProbs);
        using DeviceTensor labels = device.FromHost([0, 4, 2, 1, 3, 3], Precision.Fp32, 6), seed = device.FromHost([1024f], Precision.Fp32, 1);
        Agree(kind, precision, [6, 5], [6, 5], (d, _, dx) => d.CrossEntropyBackward(logProbs, labels, seed, dx));
        using DeviceTensor target = device.FromHost(TestData.Uniform(6 * 5, seed: 7), Precision.Fp32, 6, 5);
        Agree(kind, precision, [6, 5], [6, 5], (d, dy, dx) => d.MseLossBackward(dy, target, seed, dx, null));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Embedding_backward_reads_a_low_precision_gradient(DeviceKind kind, Precision precision)
    {
        AmpDevice device = devices.Get(kind);
        float[] dy = Stored(TestData.Uniform(3 * 4, seed: 8), precision);
        using DeviceTensor low = device.FromHost(dy, precision, 3, 4), wide = device.FromHost(dy, Precision.Fp32, 3, 4);
        using DeviceTensor ids = device.FromHost([2, 0, 2], Precision.Fp32, 3);
        using DeviceTensor a = device.Allocate(Precision.Fp32, 4, 4), b = device.Allocate(Precision.Fp32, 4, 4);
        device.ScatterAddRows(low, ids, a);
        device.ScatterAddRows(wide, ids, b);
        Assert.Equal(b.ToArray(), a.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_saturate_to_infinity_never_wrap(DeviceKind kind, Precision precision)
    {
        // 2 * 65504 overflows FP16 (and 2 * 3.39e38 BF16): the accumulated gradient is inf, so the scaler's check sees it.
        float big = precision == Precision.Fp16 ? 65504f : 3.38e38f;
        AmpDevice device = devices.Get(kind);
        using DeviceTensor dy = device.FromHost([big, -big, 1f], precision, 3), dx = device.FromHost([big, -big, 1f], precision, 3);
        device.AccumulateRows(dy, dx);
        Assert.Equal([float.PositiveInfinity, float.NegativeInfinity, 2f], dx.ToArray());
    }
}
