namespace Amp.Tests.Devices;

public class DeviceTests
{
    [Fact]
    public void Cpu_device_describes_itself_in_one_line()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Assert.Equal(DeviceKind.Cpu, device.Kind);
        Assert.Equal(GemmPath.CpuPacked, device.GemmPath);
        Assert.StartsWith("Cpu:", device.Description);
        Assert.DoesNotContain('\n', device.Description);
    }

    [Theory]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData(" CPU ", DeviceKind.Cpu)]
    [InlineData("ilgpucpu", DeviceKind.IlgpuCpu)]
    public void AMP_DEVICE_overrides_auto(string value, DeviceKind expected)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Auto, value);
        Assert.Equal(expected, device.Kind);
    }

    [Fact]
    public void AMP_DEVICE_does_not_override_an_explicit_kind()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu, "ilgpucpu");
        Assert.Equal(DeviceKind.Cpu, device.Kind);
    }

    [Fact]
    public void An_unknown_AMP_DEVICE_is_a_clear_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => AmpDevice.Create(DeviceKind.Auto, "tpu"));
        Assert.Contains("AMP_DEVICE='tpu'", ex.Message);
    }

    [Fact]
    public void Auto_without_a_gpu_is_cpu_and_cuda_is_a_clear_error()
    {
        if (IlgpuDevice.IsCudaPresent())
        {
            return;   // this machine has a GPU: the absent-GPU behaviour cannot be observed here
        }

        using (AmpDevice auto = AmpDevice.Create(DeviceKind.Auto, null))
        {
            Assert.Equal(DeviceKind.Cpu, auto.Kind);
        }

        var ex = Assert.Throws<AmpDeviceUnavailableException>(() => AmpDevice.Create(DeviceKind.Cuda));
        Assert.Contains("Cuda was requested", ex.Message);
        Assert.Contains("AMP_DEVICE=cpu", ex.Message);
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void A_disposed_device_refuses_work_with_a_clear_message(DeviceKind kind)
    {
        AmpDevice device = AmpDevice.Create(kind);
        DeviceTensor x = device.Allocate(Precision.Fp32, 2, 3);
        device.Dispose();
        var ex = Assert.Throws<ObjectDisposedException>(() => device.Allocate(Precision.Fp32, 1));
        Assert.Contains("disposed", ex.Message);
        Assert.Throws<ObjectDisposedException>(() => x.ToArray());
        Assert.Throws<ObjectDisposedException>(() => device.Cast(x, x));
        device.Dispose();   // twice is fine
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Tensors_copy_in_and_out_with_rounding_and_length_checks(DeviceKind kind)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        float[] values = [1f, 1.00390625f, -3.14159f, 65520f, 1e-8f, float.NaN];
        using DeviceTensor bf = device.FromHost(values, Precision.Bf16, 2, 3);
        using DeviceTensor fp = device.FromHost(values, Precision.Fp16, 6);
        Assert.Equal(values.Select(Bf16.RoundToBits), bf.ToBits());
        Assert.Equal(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)), fp.ToBits());
        Assert.Equal(12, bf.SizeInBytes);
        Assert.Equal("bf16[2, 3] on " + kind, bf.ToString());

        var ex = Assert.Throws<ArgumentException>(() => bf.CopyFrom(new float[5]));
        Assert.Contains("5", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => bf.CopyTo(new float[7]));
        Assert.Throws<InvalidOperationException>(() => device.Allocate(Precision.Fp32, 2).ToBits());

        bf.CopyFromBits([0x3F80, 0x4000, 0x4040, 0x7F80, 0xFF80, 0x0001]);
        Assert.Equal(new[] { 1f, 2f, 3f, float.PositiveInfinity, float.NegativeInfinity, BitConverter.UInt32BitsToSingle(0x10000) }, bf.ToArray());
    }

    [Fact]
    public void Shapes_must_be_positive_and_tensors_stay_on_their_device()
    {
        using AmpDevice cpu = AmpDevice.Create(DeviceKind.Cpu);
        using AmpDevice other = AmpDevice.Create(DeviceKind.Cpu);
        Assert.Throws<ArgumentException>(() => cpu.Allocate(Precision.Fp32, 3, 0));
        Assert.Throws<ArgumentException>(() => cpu.Allocate(Precision.Fp32));
        using DeviceTensor a = cpu.Allocate(Precision.Fp32, 4);
        using DeviceTensor b = other.Allocate(Precision.Fp32, 4);
        var ex = Assert.Throws<ArgumentException>(() => cpu.Cast(a, b));
        Assert.Equal("destination", ex.ParamName);
    }
}
