using System.Buffers.Binary;
using System.Text;
using Amp.Checkpoints;

namespace Amp.Tests;

/// <summary>
/// The backward kernels on both devices against FP64 formulas (their use inside generated models is checked
/// against finite differences in Amp.Integration.Tests), their argument checks, and the device's byte accounting.
/// </summary>
public sealed class BackwardKernelTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    public static TheoryData<DeviceKind> Kinds => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Accumulate_rows_sums_the_repeats_into_what_is_there(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        float[] source = TestData.Uniform(6 * 5, seed: 1);
        using DeviceTensor s = device.FromHost(source, Precision.Fp32, 6, 5);
        using DeviceTensor d = device.FromHost([1, 2, 3, 4, 5], Precision.Fp32, 5);
        device.AccumulateRows(s, d);
        float[] result = d.ToArray();
        for (int j = 0; j < 5; j++)
        {
            double expected = (j + 1) + Enumerable.Range(0, 6).Sum(r => (double)source[(r * 5) + j]);
            Assert.Equal(expected, result[j], 5);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Softmax_backward_is_the_jacobian_product(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        float[] x = TestData.Uniform(3 * 7, seed: 2, scale: 3), dy = TestData.Uniform(3 * 7, seed: 3);
        using DeviceTensor xs = device.FromHost(x, Precision.Fp32, 3, 7), y = device.Allocate(Precision.Fp32, 3, 7);
        using DeviceTensor g = device.FromHost(dy, Precision.Fp32, 3, 7), dx = device.Allocate(Precision.Fp32, 3, 7);
        device.Softmax(xs, y);
        device.SoftmaxBackward(y, g, dx, log: false);
        float[] p = y.ToArray(), result = dx.ToArray();
        for (int r = 0; r < 3; r++)
        {
            double dot = Enumerable.Range(0, 7).Sum(c => (double)p[(r * 7) + c] * dy[(r * 7) + c]);
            for (int c = 0; c < 7; c++)
            {
                int i = (r * 7) + c;
                Assert.Equal(p[i] * (dy[i] - dot), result[i], 5);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Scatter_add_sums_repeated_ids_in_order(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        using DeviceTensor dy = device.FromHost([1, 2, 10, 20, 100, 200], Precision.Fp32, 3, 2);
        using DeviceTensor ids = device.FromHost([2, 0, 2], Precision.Fp32, 3);
        using DeviceTensor table = device.Allocate(Precision.Fp32, 4, 2);
        device.ScatterAddRows(dy, ids, table);
        Assert.Equal([10f, 20, 0, 0, 101, 202, 0, 0], table.ToArray());
    }

    [Fact]
    public void Parameter_gradients_must_be_fp32_and_shapes_must_agree()
    {
        AmpDevice device = devices.Cpu;
        using DeviceTensor half = device.Allocate(Precision.Bf16, 4);
        using DeviceTensor rows = device.Allocate(Precision.Fp32, 3, 4);
        using DeviceTensor three = device.Allocate(Precision.Fp32, 3);
        using DeviceTensor weight = device.Allocate(Precision.Fp32, 4);

        // An activation's gradient may be BF16 (PyTorch's rule); a parameter's gradient, which the optimizer reads, may not.
        Assert.Contains("fp32", Assert.Throws<ArgumentException>(() => device.NormBackward(rows, weight, null, three, rows, null, half, null)).Message);
        Assert.Contains("whole number of rows", Assert.Throws<ArgumentException>(() => device.AccumulateRows(rows, device.Allocate(Precision.Fp32, 5))).Message);
        Assert.Contains("'dx'", Assert.Throws<ArgumentException>(() => device.SoftmaxBackward(rows, rows, three, log: true)).Message);
    }

    [Fact]
    public void Allocated_bytes_count_owned_tensors_and_not_views()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        DeviceTensor a = device.Allocate(Precision.Fp32, 10, 10);
        DeviceTensor b = device.Allocate(Precision.Bf16, 8);
        DeviceTensor view = a.Reshape(100);
        Assert.Equal(400 + 16, device.AllocatedBytes);
        view.Dispose();
        Assert.Equal(400 + 16, device.AllocatedBytes);
        a.Dispose();
        b.Dispose();
        b.Dispose();
        Assert.Equal(0, device.AllocatedBytes);
    }

    [Fact]
    public void Safetensors_reads_pytorch_bf16_and_f16_tensors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amp-{Guid.NewGuid():N}.safetensors");
        try
        {
            byte[] json = Encoding.UTF8.GetBytes("""{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1,2],"data_offsets":[4,8]}}""");
            var data = new byte[8];
            BinaryPrimitives.WriteUInt16LittleEndian(data, Bf16.FromFloat(1.5f).Bits);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2), Bf16.FromFloat(-2f).Bits);
            BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(4), (Half)0.25f);
            BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(6), (Half)3f);
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data]);
            var (tensors, metadata) = SafetensorsFile.Read(path);
            Assert.Equal([1.5f, -2f], tensors["a"].Values);
            Assert.Equal([1, 2], tensors["b"].Shape);
            Assert.Equal([0.25f, 3f], tensors["b"].Values);
            Assert.Empty(metadata);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
