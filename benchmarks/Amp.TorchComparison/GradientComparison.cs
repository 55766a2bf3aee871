using Amp;
using Tensor = TorchSharp.torch.Tensor;
using Amp.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace AmpTorch;

/// <summary>
/// Gradient error against FP32, Amp's low-precision plans beside PyTorch autocast's on the same weights and batch: for
/// each parameter, |g - g32| / |g32| (L2 norms; g32 = libtorch's FP32 gradient), and the ratio Amp / PyTorch. FP16 runs
/// under a loss scale of 65536 on both sides (GradScaler's initial scale; Amp's scaler) and is unscaled before the
/// comparison. Amp's gradients are read after one TrainStep with SGD at learning rate 0, so they come from the same
/// scaled backward and unscale pass a training run uses.
/// </summary>
internal static class GradientComparison
{
    private const float Fp16Scale = 65536f;

    public static int Run()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        double worst = 0;
        worst = Math.Max(worst, Compare("ResidualMlp (64 -> 256, 2 residual blocks 256-512-256 with LayerNorm, head 10), batch 64",
            p => new ResidualMlp().Compile(device, p, LearningRateZero),
            () => new ResidualMlpTf32().Compile(device, LearningRateZero),
            batch: 64, Features(64 * 64, 1), Labels(64, 10, 2),
            (ac, w, x, y) => TorchModels.ResidualMlpLoss(ac, w, x.view(64, 64), y)));
        worst = Math.Max(worst, Compare("GPT block (d 128, 4 heads, T 64, MLP 4x, MSE), batch 4",
            p => new GptBlockAll().Compile(device, p, LearningRateZero),
            () => new GptBlockTf32().Compile(device, LearningRateZero),
            batch: 4, Features(4 * 64 * 128, 3), Features(4 * 64 * 128, 4),
            (ac, w, x, y) => TorchModels.GptBlockLoss(ac, w, x.view(4, 64, 128), y.view(4, 64, 128), TorchModels.CausalMask(64))));
        Console.WriteLine();
        Console.WriteLine($"Largest Amp / PyTorch error ratio: {worst:F2} (the target: at most 2)");
        return worst <= 2 ? 0 : 1;
    }

    private static readonly TrainingOptions LearningRateZero = new() { Sgd = new SgdHyperparameters(0f) };

    private delegate Tensor TorchLoss(Autocast ac, IReadOnlyDictionary<string, Tensor> weights, Tensor x, Tensor y);

    private static double Compare(string title, Func<Precision, ICompiledModel> compile, Func<ICompiledModel> compileTf32, int batch, float[] x, Array y, TorchLoss torchLoss)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Init.ManualSeed(7);
        using ICompiledModel fp32 = compile(Precision.Fp32);
        Dictionary<string, float[]> masters = fp32.Parameters.ToDictionary(p => p.Name, p => p.ReadMaster());
        Batch data = y is int[] labels ? new Batch { { "x", x }, { "y", labels } } : new Batch { { "x", x }, { "target", (float[])y } };

        Dictionary<string, float[]> ampFp32 = AmpGradients(fp32, masters, data);
        using ICompiledModel bf16 = compile(Precision.Bf16);
        Dictionary<string, float[]> ampBf16 = AmpGradients(bf16, masters, data);
        using ICompiledModel fp16 = compile(Precision.Fp16);
        Dictionary<string, float[]> ampFp16 = AmpGradients(fp16, masters, data);
        using ICompiledModel tf32 = compileTf32();
        Dictionary<string, float[]> ampTf32 = AmpGradients(tf32, masters, data);

        Dictionary<string, Tensor> weights = TorchModels.Parameters(fp32);
        Tensor tx = tensor(x);
        Tensor ty = y is int[] ints ? tensor(ints.Select(i => (long)i).ToArray()) : tensor((float[])y);
        Dictionary<string, float[]> torchFp32 = TorchGradients(weights, () => torchLoss(Autocast.Fp32, weights, tx, ty), 1f);
        Dictionary<string, float[]> torchBf16 = TorchGradients(weights, () => torchLoss(new Autocast(ScalarType.BFloat16), weights, tx, ty), 1f);
        Dictionary<string, float[]> torchFp16 = TorchGradients(weights, () => torchLoss(new Autocast(ScalarType.Float16), weights, tx, ty), Fp16Scale);

        Console.WriteLine($"{"parameter",-22} {"Amp32 vs torch32",16} | {"BF16 torch",10} {"Amp",10} {"ratio",6} | {"FP16 torch",10} {"Amp",10} {"ratio",6} | {"Amp TF32",10}");
        double worst = 0;
        var errors = new Dictionary<string, List<double>> { ["BF16"] = [], ["FP16"] = [], ["TF32"] = [] };
        foreach (string name in masters.Keys)
        {
            float[] reference = torchFp32[name];
            double tb = Error(torchBf16[name], reference), ab = Error(ampBf16[name], reference);
            double th = Error(torchFp16[name], reference), ah = Error(ampFp16[name], reference);
            double rb = Ratio(ab, tb), rh = Ratio(ah, th);
            worst = Math.Max(worst, Math.Max(rb, rh));
            double at = Error(ampTf32[name], reference);
            Console.WriteLine($"{name,-22} {Error(ampFp32[name], reference),16:E1} | {tb,10:E2} {ab,10:E2} {rb,6:F2} | {th,10:E2} {ah,10:E2} {rh,6:F2} | {at,10:E2}");
            if (tb < 1)
            {
                // A gradient whose true value is 0 (attention's key bias) has no relative error to speak of.
                errors["BF16"].Add(ab);
                errors["FP16"].Add(ah);
                errors["TF32"].Add(at);
            }
        }

        Console.WriteLine("Amp's gradient error against FP32, median (max) over the parameters: " +
            string.Join(", ", errors.Select(e => $"{e.Key} {e.Value.Order().ElementAt(e.Value.Count / 2):E1} ({e.Value.Max():E1})")));

        return worst;
    }

    /// <summary>Amp's error over PyTorch's; an exact zero on both sides (a gradient both get exactly) counts as 1.</summary>
    private static double Ratio(double amp, double torch) => torch == 0 ? (amp == 0 ? 1 : double.PositiveInfinity) : amp / torch;

    private static Dictionary<string, float[]> AmpGradients(ICompiledModel model, Dictionary<string, float[]> masters, Batch data)
    {
        foreach (IParameter p in model.Parameters)
        {
            p.WriteMaster(masters[p.Name]);
        }

        StepResult step = model.TrainStep(data);
        if (step.Skipped)
        {
            throw new InvalidOperationException($"Amp's {model.Plan.Autocast} step overflowed at scale {step.Scale}.");
        }

        return model.Parameters.ToDictionary(p => p.Name, p => p.ReadGradient());
    }

    private static Dictionary<string, float[]> TorchGradients(Dictionary<string, Tensor> weights, Func<Tensor> loss, float scale)
    {
        foreach (Tensor w in weights.Values)
        {
            w.grad?.zero_();
        }

        using (var scope = NewDisposeScope())
        {
            (loss() * scale).backward();
        }

        return weights.ToDictionary(kv => kv.Key, kv => (kv.Value.grad! / scale).data<float>().ToArray());
    }

    private static double Error(float[] value, float[] reference)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < value.Length; i++)
        {
            diff += Math.Pow(value[i] - (double)reference[i], 2);
            norm += Math.Pow(reference[i], 2);
        }

        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    public static float[] Features(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller: N(0, 1).
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    public static int[] Labels(int count, int classes, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray();
    }
}
