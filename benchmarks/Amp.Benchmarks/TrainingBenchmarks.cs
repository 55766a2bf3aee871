using Amp.Data;
using BenchmarkDotNet.Attributes;

namespace Amp.Benchmarks;

/// <summary>
/// Training on the Cpu device, BF16 plan against FP32 plan of the same model:
/// TrainStep (forward, loss, backward, unscale-and-check, AdamW with cast-out) for the DESIGN MLP (64 -> 256 -> 10,
/// batch 256) and a GPT block (d 128, 4 heads, sequence 64, batch 8); ForwardBackward (no optimizer) for the
/// libtorch reference MLP 64 -> 128 -> 10 at batch 32; the CNN sample's small ResNet (DigitNet, batch 64); and the libtorch
/// comparison's MNIST-sized MLP 784 -> 1024 -> 1024 -> 10 (batch 128) and 4-block character GPT (d 256, T 128, batch 8).
/// </summary>
public class TrainingBenchmarks : IDisposable
{
    private AmpDevice? device;
    private ICompiledModel? model;
    private Batch? batch;

    /// <summary>Every model, or those named in AMP_BENCH_MODELS (comma-separated) to measure one more closely.</summary>
    public static IEnumerable<string> Models =>
        Environment.GetEnvironmentVariable("AMP_BENCH_MODELS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        ?? ["Mlp256-b256", "GptBlock-b8", "Mlp128-b32", "DigitNet-b64", "Mlp1024-b128", "CharGpt4-b8"];

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "Mlp256-b256";

    [Params(Precision.Fp32, Precision.Bf16)]
    public Precision Plan { get; set; } = Precision.Bf16;

    [GlobalSetup]
    public void Setup()
    {
        device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(1);
        bool bf16 = Plan == Precision.Bf16;
        var rng = new Random(1);
        float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        int[] Labels(int n) => Enumerable.Range(0, n).Select(i => i % 10).ToArray();
        (model, batch) = Model switch
        {
            "Mlp256-b256" => (bf16 ? new global::Models.Classifier().Compile(device) : (ICompiledModel)new global::Models.ClassifierFp32().Compile(device), new Batch { { "x", Floats(256 * 64) }, { "y", Labels(256) } }),
            "DigitNet-b64" => (new global::Models.DigitNet().Compile(device, Plan, new TrainingOptions()), new Batch { { "image", Floats(64 * 784) }, { "label", Labels(64) } }),
            "Mlp1024-b128" => (new global::Models.Mlp1024().Compile(device, Plan, new TrainingOptions()), new Batch { { "x", Floats(128 * 784) }, { "y", Labels(128) } }),
            "CharGpt4-b8" => (new global::Models.CharGpt4().Compile(device, Plan, new TrainingOptions()), new Batch
            {
                { "idx", Labels(8 * global::Models.CharGpt4.Context) },
                { "pos", Enumerable.Range(0, 8 * global::Models.CharGpt4.Context).Select(i => i % global::Models.CharGpt4.Context).ToArray() },
                { "next", Labels(8 * global::Models.CharGpt4.Context) },
            }),
            "GptBlock-b8" => (bf16 ? new global::Models.GptBlock().Compile(device) : new global::Models.GptBlockFp32().Compile(device), new Batch { { "x", Floats(8 * 64 * 128) }, { "target", Floats(8 * 64 * 128) } }),
            _ => (bf16 ? new SmallMlpBf16().Compile(device) : new SmallMlpFp32().Compile(device), new Batch { { "x", Floats(32 * 64) }, { "y", Labels(32) } }),
        };
        model.TrainStep(batch);
    }

    [Benchmark]
    public StepResult TrainStep() => model!.TrainStep(batch!);

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
