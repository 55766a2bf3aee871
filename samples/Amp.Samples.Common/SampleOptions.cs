using System.Globalization;

namespace Amp.Samples;

/// <summary>The command line both samples accept: --device, --precision, --steps, --batch, --out, --seed.</summary>
public sealed record SampleOptions(DeviceKind Device, IReadOnlyList<Precision> Precisions, int Steps, int Batch, string Out, int Seed)
{
    public static SampleOptions Parse(string[] args, int defaultSteps, int defaultBatch, string defaultOut)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--name value' pairs; got '{args[i]}'. Options: --device auto|cpu|ilgpucpu|cuda, --precision all|fp32|bf16|fp16, --steps N, --batch N, --out DIR, --seed N.");
            }

            values[args[i][2..]] = args[++i];
        }

        string unknown = values.Keys.FirstOrDefault(k => k is not ("device" or "precision" or "steps" or "batch" or "out" or "seed")) ?? string.Empty;
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Unknown option --{unknown}.");
        }

        DeviceKind device = values.GetValueOrDefault("device", "auto").ToLowerInvariant() switch
        {
            "auto" => DeviceKind.Auto,
            "cpu" => DeviceKind.Cpu,
            "ilgpucpu" => DeviceKind.IlgpuCpu,
            "cuda" => DeviceKind.Cuda,
            var d => throw new ArgumentException($"--device {d}: use auto, cpu, ilgpucpu or cuda."),
        };
        Precision[] precisions = values.GetValueOrDefault("precision", "all").ToLowerInvariant() switch
        {
            "all" => [Precision.Fp32, Precision.Bf16, Precision.Fp16],
            "fp32" => [Precision.Fp32],
            "bf16" => [Precision.Bf16],
            "fp16" => [Precision.Fp16],
            var p => throw new ArgumentException($"--precision {p}: use all, fp32, bf16 or fp16."),
        };
        return new SampleOptions(device, precisions, Positive(values, "steps", defaultSteps), Positive(values, "batch", defaultBatch), values.GetValueOrDefault("out", defaultOut), Positive(values, "seed", 1));
    }

    private static int Positive(Dictionary<string, string> values, string name, int fallback)
    {
        if (!values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} {text}: expected a positive integer.");
    }
}
