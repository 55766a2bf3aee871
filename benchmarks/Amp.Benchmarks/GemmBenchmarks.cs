using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>
/// Cpu GEMM C[m, n] = A[m, k] op(B), FP32 output, for FP32 and BF16 storage of A and B: op(B) = B [k, n], or with "NT"
/// B^T of B stored [n, k] (a Linear's forward, x W^T, whose packing transposes the weight). "b32 ..." is a batch of 32
/// products (attention's per-head products: scores Q K^T of 64 x 32 x 64, context P V of 64 x 64 x 32); the skinny
/// shapes are a 10-class head's backward (dX = dY W: 4096 x 10 x 64) and its weight gradient (10 x 4096 x 64).
/// </summary>
public class GemmBenchmarks : IWorkload, IDisposable
{
    private AmpDevice? device;
    private DeviceTensor? a, b, c;
    private bool transposeB;

    /// <summary>Every shape, or those named in AMP_BENCH_SHAPES (comma-separated) to measure a few closely.</summary>
    public static IEnumerable<string> Shapes =>
        Environment.GetEnvironmentVariable("AMP_BENCH_SHAPES")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        ?? ["256^3", "512^3", "1024^3", "512x768x3072", "1024^3 NT", "4096x256x1024 NT", "b32 64x32x64 NT", "b32 64x64x32", "4096x10x64", "10x4096x64"];

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "1024^3";

    [Params(Precision.Fp32, Precision.Bf16)]
    public Precision Storage { get; set; } = Precision.Bf16;

    public string Unit => "GFLOP/s";

    public double GigaWork
    {
        get
        {
            (int m, int k, int n) = Dimensions(Shape);
            return 2.0 * Batch(Shape) * m * k * n / 1e9;
        }
    }

    public bool ComparesWithFmaPeak => true;

    /// <summary>The batch of a "bN ..." shape, else 1.</summary>
    public static int Batch(string shape) => shape.StartsWith('b') ? int.Parse(shape[1..shape.IndexOf(' ')]) : 1;

    /// <summary>"s^3" or "MxKxN", after an optional "bN " batch, then " NT" for a transposed B.</summary>
    public static (int M, int K, int N) Dimensions(string shape)
    {
        shape = shape.Replace(" NT", string.Empty, StringComparison.Ordinal);
        shape = shape.StartsWith('b') ? shape[(shape.IndexOf(' ') + 1)..] : shape;
        if (shape.EndsWith("^3", StringComparison.Ordinal))
        {
            int s = int.Parse(shape[..^2]);
            return (s, s, s);
        }

        int[] d = shape.Split('x').Select(int.Parse).ToArray();
        return (d[0], d[1], d[2]);
    }

    [GlobalSetup]
    public void Setup()
    {
        (int m, int k, int n) = Dimensions(Shape);
        int batch = Batch(Shape);
        device = AmpDevice.Create(DeviceKind.Cpu);
        var random = new Random(1);
        a = device.FromHost(Enumerable.Range(0, batch * m * k).Select(_ => random.NextSingle() - 0.5f).ToArray(), Storage, batch, m, k);
        transposeB = Shape.EndsWith(" NT", StringComparison.Ordinal);
        float[] values = Enumerable.Range(0, batch * k * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        b = transposeB ? device.FromHost(values, Storage, batch, n, k) : device.FromHost(values, Storage, batch, k, n);
        c = device.Allocate(Precision.Fp32, batch, m, n);
    }

    [Benchmark]
    public void Gemm() => device!.Gemm(a!, b!, c!, new GemmOptions { TransposeB = transposeB });

    [GlobalCleanup]
    public void Dispose()
    {
        device?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The ceiling: the FMA probe on every core, as a benchmark of its own.</summary>
public class PeakFmaBenchmarks : IWorkload
{
    public string Unit => "GFLOP/s";

    public double GigaWork => Environment.ProcessorCount * (double)FmaPeak.FlopsPerChainCall / 1e9;

    public bool ComparesWithFmaPeak => true;

    [Benchmark]
    public void AllCoresFma() => Parallel.For(0, Environment.ProcessorCount, i => FmaPeak.Chains(1.0000001f + i));
}
