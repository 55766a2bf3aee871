using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Amp.Benchmarks;

/// <summary>
/// dotnet run -c Release --project benchmarks/Amp.Benchmarks -- --filter '*'
/// Each result also shows its throughput (GFLOP/s or GB/s) and, for GEMM, the fraction of this
/// machine's FMA peak measured by <see cref="FmaPeak"/> in the same run.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithId("Short"))
            .AddColumn(new ThroughputColumn(), new PeakFractionColumn())
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
