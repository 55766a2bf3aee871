namespace Amp.Tests;

/// <summary>Pooling on both devices against the FP64 eager ops (PyTorch's semantics: padding 0, floor), in FP32 and BF16 storage.</summary>
public sealed class PoolKernelTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    public static TheoryData<DeviceKind, Precision> Cases()
    {
        var cases = new TheoryData<DeviceKind, Precision>();
        foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu })
        {
            cases.Add(kind, Precision.Fp32);
            cases.Add(kind, Precision.Bf16);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pooling_matches_the_fp64_reference(DeviceKind kind, Precision precision)
    {
        AmpDevice device = devices.Get(kind);
        float[] values = TestData.Stored(TestData.Uniform(2 * 3 * 5 * 6, seed: 21, scale: 2), precision).Select(v => (float)v).ToArray();
        var eager = new Tensor(values.Select(v => (double)v).ToArray(), 2, 3, 5, 6);
        using DeviceTensor x = device.FromHost(values, precision, 2, 3, 5, 6);
        foreach ((string name, Tensor expected, int kh, int kw, int sh, int sw, bool max) in new[]
        {
            ("max 2", Ops.MaxPool2d(eager, 2), 2, 2, 2, 2, true),
            ("max 3 stride 1", Ops.MaxPool2d(eager, 3, stride: 1), 3, 3, 1, 1, true),
            ("avg 2 stride 3", Ops.AvgPool2d(eager, 2, stride: 3), 2, 2, 3, 3, false),
            ("global", Ops.AdaptiveAvgPool2d(eager, 1), 5, 6, 5, 6, false),
        })
        {
            using DeviceTensor y = device.Allocate(precision, [.. expected.Shape]);
            device.Pool2d(x, y, kh, kw, sh, sw, max);
            float[] actual = y.ToArray();
            double[] want = TestData.Stored(expected.ToArray().Select(v => (float)v).ToArray(), precision);
            for (int i = 0; i < actual.Length; i++)
            {
                // Max is exact; a mean is one FP32 sum rounded once to the storage.
                double bound = max ? 0 : precision == Precision.Bf16 ? Math.Abs(want[i]) * Math.Pow(2, -8) : 1e-6;
                Assert.True(Math.Abs(actual[i] - want[i]) <= bound, $"{name} [{i}]: {actual[i]} vs {want[i]}");
            }
        }
    }

    [Fact]
    public void Max_pooling_sends_the_gradient_to_the_first_maximum_and_propagates_nan()
    {
        foreach (AmpDevice device in new[] { devices.Cpu, devices.Ilgpu })
        {
            using DeviceTensor x = device.FromHost([1, 3, 3, 2, float.NaN, 0, 1, 1], Precision.Fp32, 1, 2, 2, 2);
            using DeviceTensor y = device.Allocate(Precision.Fp32, 1, 2, 1, 1);
            device.Pool2d(x, y, 2, 2, 2, 2, max: true);
            Assert.Equal(3f, y.ToArray()[0]);
            Assert.True(float.IsNaN(y.ToArray()[1]));
            using DeviceTensor dy = device.FromHost([10, 20], Precision.Fp32, 1, 2, 1, 1), dx = device.Allocate(Precision.Fp32, 1, 2, 2, 2);
            device.Pool2dBackward(x, dy, dx, 2, 2, 2, 2, max: true);
            Assert.Equal([0f, 10, 0, 0, 20, 0, 0, 0], dx.ToArray());
        }
    }

    [Fact]
    public void A_window_larger_than_the_image_is_refused()
    {
        using DeviceTensor x = devices.Cpu.Allocate(Precision.Fp32, 1, 1, 2, 2), y = devices.Cpu.Allocate(Precision.Fp32, 1, 1, 1, 1);
        Assert.Contains("kernel 3x3", Assert.Throws<ArgumentException>(() => devices.Cpu.Pool2d(x, y, 3, 3, 1, 1, max: true)).Message);
    }
}
