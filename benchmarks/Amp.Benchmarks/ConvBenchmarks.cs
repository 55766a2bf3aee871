using Amp.Data;
using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>
/// Conv2d forward and backward on the Cpu device, FP32 and BF16 storage, for ResNet-like 3x3 layers: two identical
/// convolutions in a row (the second's backward computes dX, both compute dW), so one ComputeGradients is five
/// forward products' worth of FLOPs (2 forward, 1 dX, 2 dW); GFLOP/s counts exactly those, not im2col or the loss.
/// </summary>
public class ConvBenchmarks : IWorkload, IDisposable
{
    private AmpDevice? device;
    private ICompiledModel? model;
    private Batch? batch;

    /// <summary>channels x size x size at a batch: the sample's block, a ResNet stage-3 and a stage-4 layer.</summary>
    [Params("16x28x28-b64", "64x14x14-b32", "128x7x7-b32")]
    public string Shape { get; set; } = "16x28x28-b64";

    [Params(Precision.Fp32, Precision.Bf16)]
    public Precision Storage { get; set; } = Precision.Bf16;

    public string Unit => "GFLOP/s";

    public bool ComparesWithFmaPeak => true;

    public double GigaWork
    {
        get
        {
            (int c, int s, int b) = Dimensions(Shape);
            return 5.0 * 2.0 * b * c * c * 9 * s * s / 1e9;
        }
    }

    private static (int Channels, int Size, int Batch) Dimensions(string shape)
    {
        string[] parts = shape.Split('-');
        int[] d = parts[0].Split('x').Select(int.Parse).ToArray();
        return (d[0], d[1], int.Parse(parts[1][1..]));
    }

    [GlobalSetup]
    public void Setup()
    {
        device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(1);
        (int c, int s, int b) = Dimensions(Shape);
        model = Shape switch
        {
            "16x28x28-b64" => new Conv16().Compile(device, Storage),
            "64x14x14-b32" => new Conv64().Compile(device, Storage),
            _ => new Conv128().Compile(device, Storage),
        };
        var random = new Random(1);
        float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        batch = new Batch { { "x", Floats(b * c * s * s) }, { "target", Floats(b * c * s * s) } };
        model.ComputeGradients(batch);
    }

    [Benchmark]
    public float ForwardBackward() => model!.ComputeGradients(batch!);

    [GlobalCleanup]
    public void Dispose()
    {
        model?.Dispose();
        device?.Dispose();
        GC.SuppressFinalize(this);
    }
}
