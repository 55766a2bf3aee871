using Amp;
using Tensor = TorchSharp.torch.Tensor;
using System.Diagnostics;
using System.Globalization;
using Amp.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace AmpTorch;

/// <summary>
/// Training-step time, Amp against libtorch, each measurement a fresh process (`step`), the two sides alternating within
/// each round and the order flipped every round so neither always runs on a warmer machine. A step is forward, loss,
/// backward and AdamW (lr 1e-3, weight decay 0.01) on both sides; the figure is the median of 300 steps (60 for the GPT
/// block) after 4 seconds of warm-up steps. Threads: libtorch's set_num_threads, Amp's DOTNET_PROCESSOR_COUNT (what its thread pool and GEMM
/// split by).
/// </summary>
internal static class SpeedComparison
{
    private static readonly string[] AllModels = ["Mlp128-b32", "Mlp256-b256", "Mlp1024-b128", "DigitNet-b64", "GptBlock-b8", "CharGpt4-b8", "Gemm-1024x1024x1024", "Gemm-512x768x3072"];

    /// <summary>
    /// "Gemm-MxKxN": one C = A B per step (FP32 out; the bf16 side stores A and B in BF16), no training; "Gemm-bS-MxKxN"
    /// a batch of S such products (attention's per-head shapes: torch.bmm on the libtorch side).
    /// </summary>
    private static (int Batch, int M, int K, int N)? GemmShape(string model)
    {
        if (!model.StartsWith("Gemm-", StringComparison.Ordinal))
        {
            return null;
        }

        string shape = model["Gemm-".Length..];
        int batch = 1;
        if (shape.StartsWith('b'))
        {
            batch = int.Parse(shape[1..shape.IndexOf('-')], CultureInfo.InvariantCulture);
            shape = shape[(shape.IndexOf('-') + 1)..];
        }

        int[] d = shape.Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return (batch, d[0], d[1], d[2]);
    }

    public static int Run(string[] args)
    {
        int rounds = int.Parse(Option(args, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        int[] threads = (Option(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        string[] models = Option(args, "--models")?.Split(',') ?? AllModels;
        string[] sides = ["amp:fp32", "torch:fp32", "amp:bf16"];
        var times = new Dictionary<(string Model, int Threads, string Side), List<double>>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (string model in models)
            {
                foreach (int t in threads)
                {
                    IEnumerable<string> order = round % 2 == 0 ? sides : sides.Reverse();
                    foreach (string side in order)
                    {
                        string[] parts = side.Split(':');
                        double ms = Child(model, parts[0], parts[1], t);
                        (times.TryGetValue((model, t, side), out var list) ? list : times[(model, t, side)] = []).Add(ms);
                        Console.Error.WriteLine($"round {round + 1}: {model} {side} {t} thread(s): {ms:F3} ms");
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Median TrainStep over {rounds} rounds of fresh processes (ms); ratio = Amp / libtorch");
        Console.WriteLine($"| model | threads | libtorch FP32 | Amp FP32 | ratio | Amp BF16 | BF16 / Amp FP32 |");
        Console.WriteLine($"|---|---|---|---|---|---|---|");
        foreach (string model in models)
        {
            foreach (int t in threads)
            {
                double torchMs = Median(times[(model, t, "torch:fp32")]), amp = Median(times[(model, t, "amp:fp32")]), bf16 = Median(times[(model, t, "amp:bf16")]);
                Console.WriteLine($"| {model} | {t} | {torchMs:F3} | {amp:F3} | {amp / torchMs:F2} | {bf16:F3} | {bf16 / amp:F2} |");
            }
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>4 s, or AMP_COMPARE_WARMUP_SECONDS (0 measures the first steps, JIT warm-up included).</summary>
    private static readonly double WarmupSeconds = double.TryParse(Environment.GetEnvironmentVariable("AMP_COMPARE_WARMUP_SECONDS"), CultureInfo.InvariantCulture, out double s) ? s : 4;

    private static int StepsFor(string model) => model switch
    {
        _ when model.StartsWith("GptBlock", StringComparison.Ordinal) => 60,
        _ when model.StartsWith("CharGpt4", StringComparison.Ordinal) => 15,
        _ when GemmShape(model) is { Batch: > 1 } => 2000,
        _ when GemmShape(model) is not null => 100,
        _ => 300,
    };

    /// <summary>CharGpt4's ids: 8 windows of 128 tokens, their positions and the next tokens (deterministic).</summary>
    private static (int[] Idx, int[] Pos, int[] Next) CharData()
    {
        const int T = global::Models.CharGpt4.Context, V = global::Models.CharGpt4.Vocabulary;
        int[] idx = [.. Enumerable.Range(0, 8 * T).Select(i => ((i * 37) + (i / T)) % V)];
        return (idx, [.. Enumerable.Range(0, 8 * T).Select(i => i % T)], [.. idx.Select(i => (i + 1) % V)]);
    }

    private static double Child(string model, string impl, string precision, int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "step", model, impl, precision, threads.ToString(CultureInfo.InvariantCulture), StepsFor(model).ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_PROCESSOR_COUNT"] = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("median-ms ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"step {model} {impl} {precision} {threads} failed ({child.ExitCode}): {output}");
        }

        return double.Parse(line["median-ms ".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>One process: STEPS training steps of MODEL on IMPL (amp | torch) in PRECISION; prints the median after warm-up.</summary>
    public static int Step(string[] args)
    {
        string model = args[0], impl = args[1], precision = args[2];
        int threads = int.Parse(args[3], CultureInfo.InvariantCulture), steps = int.Parse(args[4], CultureInfo.InvariantCulture);
        Action step = impl == "torch" ? TorchStep(model, precision, threads) : AmpStep(model, precision);
        // Warm-up by time, not by count: .NET's tiered JIT keeps hot loops in tier-0 code for the first seconds.
        long warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalSeconds < WarmupSeconds)
        {
            step();
        }

        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        Console.WriteLine($"mean-ms {times.Average().ToString("F4", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"median-ms {Median(times).ToString("F4", CultureInfo.InvariantCulture)}");
        return 0;
    }

    private static readonly TrainingOptions AdamW = new() { AdamW = new AdamWHyperparameters(1e-3f, WeightDecay: 0.01f) };

    private static (int Batch, float[] X, Array Y) Data(string model) => model switch
    {
        "Mlp128-b32" => (32, GradientComparison.Features(32 * 64, 1), GradientComparison.Labels(32, 10, 2)),
        "Mlp256-b256" => (256, GradientComparison.Features(256 * 64, 1), GradientComparison.Labels(256, 10, 2)),
        "DigitNet-b64" => (64, GradientComparison.Features(64 * 784, 1), GradientComparison.Labels(64, 10, 2)),
        "Mlp1024-b128" => (128, GradientComparison.Features(128 * 784, 1), GradientComparison.Labels(128, 10, 2)),
        "GptBlock-b8" => (8, GradientComparison.Features(8 * 64 * 128, 1), GradientComparison.Features(8 * 64 * 128, 2)),
        _ => throw new ArgumentException($"unknown model '{model}'; known: {string.Join(", ", AllModels)}"),
    };

    private static ICompiledModel CompileAmp(string model, Precision precision)
    {
        AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(7);
        return model switch
        {
            "Mlp128-b32" => new Mlp128().Compile(device, precision, AdamW),
            "Mlp256-b256" => new Mlp256().Compile(device, precision, AdamW),
            "DigitNet-b64" => new global::Models.DigitNet().Compile(device, precision, AdamW),
            "Mlp1024-b128" => new global::Models.Mlp1024().Compile(device, precision, AdamW),
            "CharGpt4-b8" => new global::Models.CharGpt4().Compile(device, precision, AdamW),
            _ => new GptBlockAll().Compile(device, precision, AdamW),
        };
    }

    private static Action AmpStep(string model, string precision)
    {
        if (GemmShape(model) is var (products, m, k, n))
        {
            AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            Precision storage = precision == "bf16" ? Precision.Bf16 : Precision.Fp32;
            DeviceTensor a = device.FromHost(GradientComparison.Features(products * m * k, 1), storage, products, m, k);
            DeviceTensor b = device.FromHost(GradientComparison.Features(products * k * n, 2), storage, products, k, n);
            DeviceTensor c = device.Allocate(Precision.Fp32, products, m, n);
            return () => device.Gemm(a, b, c);
        }

        if (model == "CharGpt4-b8")
        {
            ICompiledModel gpt = CompileAmp(model, precision == "bf16" ? Precision.Bf16 : Precision.Fp32);
            (int[] idx, int[] pos, int[] next) = CharData();
            var tokens = new Batch { { "idx", idx }, { "pos", pos }, { "next", next } };
            return () => gpt.TrainStep(tokens);
        }

        (_, float[] x, Array y) = Data(model);
        ICompiledModel compiled = CompileAmp(model, precision == "bf16" ? Precision.Bf16 : Precision.Fp32);
        Batch batch = model == "DigitNet-b64" ? new Batch { { "image", x }, { "label", (int[])y } }
            : y is int[] labels ? new Batch { { "x", x }, { "y", labels } }
            : new Batch { { "x", x }, { "target", (float[])y } };
        return () => compiled.TrainStep(batch);
    }

    private static Action TorchStep(string model, string precision, int threads)
    {
        torch.set_num_threads(threads);
        if (GemmShape(model) is var (products, m, k, n))
        {
            ScalarType type = precision == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
            Tensor a = tensor(GradientComparison.Features(products * m * k, 1)).view(products, m, k).to(type);
            Tensor b = tensor(GradientComparison.Features(products * k * n, 2)).view(products, k, n).to(type);
            Tensor a0 = a[0], b0 = b[0];
            return () =>
            {
                using Tensor c = products == 1 ? mm(a0, b0) : bmm(a, b);
            };
        }

        var ac = precision == "bf16" ? new Autocast(ScalarType.BFloat16) : Autocast.Fp32;
        if (model == "CharGpt4-b8")
        {
            using ICompiledModel gptShapes = CompileAmp(model, Precision.Fp32);
            Dictionary<string, Tensor> gptWeights = TorchModels.Parameters(gptShapes);
            (int[] idx, int[] pos, int[] next) = CharData();
            Tensor tIdx = tensor(idx.Select(i => (long)i).ToArray()), tPos = tensor(pos.Select(i => (long)i).ToArray()), tNext = tensor(next.Select(i => (long)i).ToArray());
            Tensor causal = TorchModels.CausalMask(global::Models.CharGpt4.Context);
            var gptOptimizer = optim.AdamW(gptWeights.Values.Cast<TorchSharp.Modules.Parameter>(), lr: 1e-3, weight_decay: 0.01);
            return () =>
            {
                using var scope = NewDisposeScope();
                gptOptimizer.zero_grad();
                TorchModels.CharGptLoss(ac, gptWeights, tIdx, tPos, tNext, causal, 8).backward();
                gptOptimizer.step();
            };
        }

        (int batch, float[] x, Array y) = Data(model);
        using ICompiledModel shapes = CompileAmp(model, Precision.Fp32);
        Dictionary<string, Tensor> weights = TorchModels.Parameters(shapes);
        Tensor tx = tensor(x), ty = y is int[] ints ? tensor(ints.Select(i => (long)i).ToArray()) : tensor((float[])y);
        Tensor mask = TorchModels.CausalMask(64);
        Dictionary<string, Tensor> running = TorchModels.DigitNetRunningStatistics();
        Func<Tensor> loss = model switch
        {
            "Mlp128-b32" => () => TorchModels.MlpLoss(ac, weights, tx.view(batch, 64), ty, layers: 2, gelu: true),
            "DigitNet-b64" => () => TorchModels.DigitNetLoss(weights, running, tx.view(batch, 1, 28, 28), ty),
            "Mlp256-b256" => () => TorchModels.MlpLoss(ac, weights, tx.view(batch, 64), ty, layers: 2, gelu: true),
            "Mlp1024-b128" => () => TorchModels.MlpLoss(ac, weights, tx.view(batch, 784), ty, layers: 3, gelu: false),
            _ => () => TorchModels.GptBlockLoss(ac, weights, tx.view(batch, 64, 128), ty.view(batch, 64, 128), mask),
        };
        var optimizer = optim.AdamW(weights.Values.Cast<TorchSharp.Modules.Parameter>(), lr: 1e-3, weight_decay: 0.01);
        return () =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            loss().backward();
            optimizer.step();
        };
    }
}
