using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>
/// Cpu GEMM C[m, n] = A[m, k] op(B), FP32 output, for FP32 and BF16 storage of A and B: op(B) = B [k, n], or with "NT"
/// B^T of B stored [n, k] (a Linear's forward, x W^T, whose packing transposes the weight).
/// </summary>
public class GemmBenchmarks : IWorkload, IDisposable
{
    private AmpDevice? device;
    private DeviceTensor? a, b, c;
    private bool transposeB;

    [Params("256^3", "512^3", "1024^3", "512x768x3072", "1024^3 NT", "4096x256x1024 NT")]
    public string Shape { get; set; } = "1024^3";

    [Params(Precision.Fp32, Precision.Bf16)]
    public Precision Storage { get; set; } = Precision.Bf16;

    public string Unit => "GFLOP/s";

    public double GigaWork
    {
        get
        {
            (int m, int k, int n) = Dimensions(Shape);
            return 2.0 * m * k * n / 1e9;
        }
    }

    public bool ComparesWithFmaPeak => true;

    /// <summary>"s^3" or "MxKxN", then " NT" for a transposed B.</summary>
    public static (int M, int K, int N) Dimensions(string shape)
    {
        shape = shape.Replace(" NT", string.Empty, StringComparison.Ordinal);
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
        device = AmpDevice.Create(DeviceKind.Cpu);
        var random = new Random(1);
        a = device.FromHost(Enumerable.Range(0, m * k).Select(_ => random.NextSingle() - 0.5f).ToArray(), Storage, m, k);
        transposeB = Shape.EndsWith(" NT", StringComparison.Ordinal);
        float[] values = Enumerable.Range(0, k * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        b = transposeB ? device.FromHost(values, Storage, n, k) : device.FromHost(values, Storage, k, n);
        c = device.Allocate(Precision.Fp32, m, n);
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
