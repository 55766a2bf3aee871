using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Amp.Benchmarks;

/// <summary>A benchmark class that says how much work one invocation does.</summary>
public interface IWorkload
{
    /// <summary>"GFLOP/s" or "GB/s".</summary>
    string Unit { get; }

    /// <summary>Flops or bytes per invocation, in units of 1e9.</summary>
    double GigaWork { get; }

    /// <summary>Whether the result should be compared with the FMA peak.</summary>
    bool ComparesWithFmaPeak { get; }
}

internal static class Workloads
{
    /// <summary>Builds the benchmark instance with this case's parameters to ask it for its work.</summary>
    public static IWorkload? For(BenchmarkCase benchmarkCase)
    {
        if (Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IWorkload workload)
        {
            return null;
        }

        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            benchmarkCase.Descriptor.Type.GetProperty(parameter.Name)?.SetValue(workload, parameter.Value);
            benchmarkCase.Descriptor.Type.GetField(parameter.Name)?.SetValue(workload, parameter.Value);
        }

        return workload;
    }

    public static double? Throughput(Summary summary, BenchmarkCase benchmarkCase, out IWorkload? workload)
    {
        workload = For(benchmarkCase);
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return workload is null || nanoseconds is null ? null : workload.GigaWork / (nanoseconds.Value * 1e-9);
    }
}

public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s for compute, GB/s of input for conversions";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        Workloads.Throughput(summary, benchmarkCase, out IWorkload? w) is { } value
            ? string.Create(CultureInfo.InvariantCulture, $"{value:F1} {w!.Unit}")
            : "-";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}

public sealed class PeakFractionColumn : IColumn
{
    public string Id => nameof(PeakFractionColumn);
    public string ColumnName => "% FMA peak";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s as a share of this machine's all-core FP32 FMA peak, measured in this run";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        Workloads.Throughput(summary, benchmarkCase, out IWorkload? w) is { } value && w!.ComparesWithFmaPeak
            ? string.Create(CultureInfo.InvariantCulture, $"{100 * value / FmaPeak.AllCoresGflops:F0}% of {FmaPeak.AllCoresGflops:F0}")
            : "-";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}
