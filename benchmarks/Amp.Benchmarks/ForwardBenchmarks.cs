using Amp.Data;
using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>Forward of the DESIGN MLP (64 -> 256 -> 10, Gelu) at batch 256 on the Cpu device: BF16 plan against FP32 plan.</summary>
public class ForwardBenchmarks : IDisposable
{
    private AmpDevice? device;
    private ICompiledModel? model;
    private Batch? batch;

    [Params(Precision.Fp32, Precision.Bf16)]
    public Precision Plan { get; set; } = Precision.Bf16;

    [GlobalSetup]
    public void Setup()
    {
        device = AmpDevice.Create(DeviceKind.Cpu);
        model = Plan == Precision.Bf16 ? new global::Models.Classifier().Compile(device) : new global::Models.ClassifierFp32().Compile(device);
        var rng = new Random(1);
        batch = new Batch { { "x", Enumerable.Range(0, 256 * 64).Select(_ => (float)rng.NextDouble()).ToArray() } };
        model.Forward(batch);
    }

    [Benchmark]
    public float[] Forward() => model!.Forward(batch!);

    [GlobalCleanup]
    public void Dispose()
    {
        model?.Dispose();
        device?.Dispose();
        GC.SuppressFinalize(this);
    }
}
