namespace Amp.Tests;

/// <summary>One Cpu and one IlgpuCpu device for a test class; the simulator is costly to start.</summary>
public sealed class DeviceFixture : IDisposable
{
    public AmpDevice Cpu { get; } = AmpDevice.Create(DeviceKind.Cpu);

    public AmpDevice Ilgpu { get; } = AmpDevice.Create(DeviceKind.IlgpuCpu);

    public AmpDevice Get(DeviceKind kind) => kind == DeviceKind.Cpu ? Cpu : Ilgpu;

    public void Dispose()
    {
        Cpu.Dispose();
        Ilgpu.Dispose();
    }
}

internal static class TestData
{
    public static float[] Uniform(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>The values a tensor of this precision actually holds after rounding.</summary>
    public static double[] Stored(float[] values, Precision precision) => precision switch
    {
        Precision.Fp32 => values.Select(v => (double)v).ToArray(),
        Precision.Bf16 => values.Select(v => (double)Bf16.FromFloat(v).ToFloat()).ToArray(),
        _ => values.Select(v => (double)(float)(Half)v).ToArray(),
    };
}
