using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>Bulk conversions on one thread; throughput is GB/s of input read.</summary>
public class ConversionBenchmarks : IWorkload
{
    private const int Elements = 1 << 22;   // 16 MiB of floats: past the caches, a streaming workload
    private readonly float[] floats = new float[Elements];
    private readonly ushort[] bf16 = new ushort[Elements];
    private readonly Half[] fp16 = new Half[Elements];

    [Params("float->bf16", "bf16->float", "float->fp16", "fp16->float")]
    public string Direction { get; set; } = "float->bf16";

    public string Unit => "GB/s";

    public double GigaWork => (double)Elements * (Direction.StartsWith("float", StringComparison.Ordinal) ? 4 : 2) / 1e9;

    public bool ComparesWithFmaPeak => false;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        for (int i = 0; i < Elements; i++)
        {
            floats[i] = (random.NextSingle() - 0.5f) * 100f;
        }

        Bf16.FromFloats(floats, bf16);
        Fp16.FromFloats(floats, fp16);
    }

    [Benchmark]
    public void Convert()
    {
        switch (Direction)
        {
            case "float->bf16": Bf16.FromFloats(floats, bf16); break;
            case "bf16->float": Bf16.ToFloats(bf16, floats); break;
            case "float->fp16": Fp16.FromFloats(floats, fp16); break;
            default: Fp16.ToFloats(fp16, floats); break;
        }
    }
}
