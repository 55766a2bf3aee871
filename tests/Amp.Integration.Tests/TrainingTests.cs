using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>The training step: AMP gradients against FP32, convergence, overflow handling, accumulation, clipping.</summary>
public sealed class TrainingTests
{
    private const float Bf16Unit = 1f / 256;   // 2^-8: BF16 unit roundoff
    private const float Fp16Unit = 1f / 2048;  // 2^-11: FP16 unit roundoff

    /// <summary>
    /// AMP gradients differ from FP32 ones by the roundings of the low-precision activations and working weights.
    /// Per weight tensor, the norm-wise relative error is bounded by 8u (u of the plan's precision): a handful of
    /// roundings, each of relative size u, along the two-layer path.
    /// </summary>
    [Theory]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Fp16)]
    public void Amp_gradients_match_fp32_within_the_precision(Precision precision)
    {
        float[] x = Data.Gaussian(32 * 64, seed: 3);
        int[] y = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        var batch = new Batch { { "x", x }, { "y", y } };
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Dictionary<string, float[]> reference = Gradients(Mlp(Precision.Fp32, device, Zero()), batch);

        // FP16 runs through the scaler (scale 65536): TrainStep seeds with the scale and unscales before the (zero) update.
        var options = Zero() with { Scaler = precision == Precision.Fp16 ? new LossScaler() : null };
        using ICompiledModel amp = Mlp(precision, device, options);
        StepResult step = amp.TrainStep(batch);
        Assert.False(step.Skipped);
        Assert.Equal(precision == Precision.Fp16 ? 65536f : 1f, step.Scale);
        float unit = precision == Precision.Bf16 ? Bf16Unit : Fp16Unit;
        foreach (IParameter p in amp.Parameters)
        {
            float[] g = p.ReadGradient(), r = reference[p.Name];
            double error = Math.Sqrt(g.Zip(r, (a, b) => (double)(a - b) * (a - b)).Sum());
            double norm = Math.Sqrt(r.Sum(v => (double)v * v));
            Assert.True(error <= 8 * unit * norm, $"{p.Name}: |g_amp - g_fp32| = {error:E3}, bound 8u|g| = {8 * unit * norm:E3}");
        }
    }

    /// <summary>The same MLP from the same weights on the same batches: BF16 and FP16+scaler end within 2% of FP32.</summary>
    [Fact]
    public void Mlp_converges_like_fp32_in_bf16_and_fp16()
    {
        var task = new ClusterTask(seed: 21);
        float Train(Precision precision)
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel model = Mlp(precision, device, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 2e-3f) });
            for (int step = 0; step < 150; step++)
            {
                Assert.False(model.TrainStep(task.Batch(step)).Skipped);
            }

            return model.Evaluate(task.Batch(10_000));
        }

        float fp32 = Train(Precision.Fp32), bf16 = Train(Precision.Bf16), fp16 = Train(Precision.Fp16);
        Assert.True(fp32 < 0.5f * MathF.Log(10), $"FP32 did not learn: {fp32}");
        Assert.True(Math.Abs(bf16 - fp32) <= 0.02f * fp32, $"BF16 {bf16} vs FP32 {fp32}");
        Assert.True(Math.Abs(fp16 - fp32) <= 0.02f * fp32, $"FP16 {fp16} vs FP32 {fp32}");
    }

    /// <summary>A small GPT on text: BF16 and FP16+scaler reach the FP32 loss within 2%.</summary>
    [Fact]
    public void Gpt_converges_like_fp32_in_bf16_and_fp16()
    {
        float Train(Precision precision)
        {
            Init.ManualSeed(31);
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            var options = new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 3e-3f, WeightDecay: 0f), MaxGradNorm = 1f };
            using ICompiledModel model = precision switch
            {
                Precision.Bf16 => new TinyGpt().Compile(device, options),
                Precision.Fp16 => new TinyGptFp16().Compile(device, options),
                _ => new TinyGptFp32().Compile(device, options),
            };
            var text = new TextTask();
            for (int step = 0; step < 120; step++)
            {
                Assert.False(model.TrainStep(text.Batch(step)).Skipped);
            }

            return model.Evaluate(text.Batch(-1));
        }

        float fp32 = Train(Precision.Fp32), bf16 = Train(Precision.Bf16), fp16 = Train(Precision.Fp16);
        Assert.True(fp32 < 0.5f * MathF.Log(40), $"FP32 did not learn: {fp32}");
        Assert.True(Math.Abs(bf16 - fp32) <= 0.02f * fp32, $"BF16 {bf16} vs FP32 {fp32}");
        Assert.True(Math.Abs(fp16 - fp32) <= 0.02f * fp32, $"FP16 {fp16} vs FP32 {fp32}");
    }

    /// <summary>GradScaler's contract: an overflowing step changes no weight, halves the scale, and training goes on.</summary>
    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Overflow_skips_the_step_keeps_weights_and_backs_off(DeviceKind kind)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel model = Mlp(Precision.Fp16, device, new TrainingOptions());
        var task = new ClusterTask(seed: 5, batch: 8);
        Assert.False(model.TrainStep(task.Batch(0)).Skipped);
        float[][] before = model.Parameters.Select(p => p.ReadMaster()).ToArray();

        // 1e5 is beyond FP16's range (65504): the cast of x to FP16 is inf, the loss and gradients NaN.
        float[] huge = task.Batch(1).Get<float[]>("x").Select(v => v * 1e5f).ToArray();
        StepResult overflow = model.TrainStep(new Batch { { "x", huge }, { "y", task.Batch(1).Get<int[]>("y") } });
        Assert.True(overflow.Skipped);
        Assert.Equal(65536f, overflow.Scale);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], model.Parameters[i].ReadMaster());
        }

        StepResult recovered = model.TrainStep(task.Batch(2));
        Assert.False(recovered.Skipped);
        Assert.Equal(32768f, recovered.Scale);
        Assert.NotEqual(before[0], model.Parameters[0].ReadMaster());
        Assert.True(float.IsFinite(recovered.Loss));
    }

    /// <summary>Two micro-batches of 8 give the step of one batch of 16 (gradients averaged), and the scaler updates once.</summary>
    [Fact]
    public void Accumulation_equals_the_full_batch_and_updates_the_scaler_once()
    {
        var task = new ClusterTask(seed: 9, batch: 16);
        Batch full = task.Batch(0);
        float[] x = full.Get<float[]>("x");
        int[] y = full.Get<int[]>("y");
        var first = new Batch { { "x", x[..(8 * 64)] }, { "y", y[..8] } };
        var second = new Batch { { "x", x[(8 * 64)..] }, { "y", y[8..] } };
        var sgd = new SgdHyperparameters(LearningRate: 0.1f, Momentum: 0.9f);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);

        using ICompiledModel whole = Mlp(Precision.Fp32, device, new TrainingOptions { Sgd = sgd });
        whole.TrainStep(full);
        var scaler = new LossScaler(initScale: 1024f, growthInterval: 2);
        using ICompiledModel accumulated = Mlp(Precision.Fp32, device, new TrainingOptions { Sgd = sgd, AccumulationSteps = 2, Scaler = scaler });
        float[] initial = accumulated.Parameters[0].ReadMaster();
        accumulated.TrainStep(first);
        Assert.Equal(initial, accumulated.Parameters[0].ReadMaster());
        Assert.Equal(0, scaler.GrowthTracker);
        accumulated.TrainStep(second);
        Assert.Equal(1, scaler.GrowthTracker);

        for (int i = 0; i < whole.Parameters.Count; i++)
        {
            float[] a = whole.Parameters[i].ReadMaster(), b = accumulated.Parameters[i].ReadMaster();
            double worst = a.Zip(b, (u, v) => Math.Abs(u - v)).Max();
            Assert.True(worst <= 1e-6, $"{whole.Parameters[i].Name}: max |difference| {worst:E3}");
        }
    }

    /// <summary>clip_grad_norm_: the global norm of the unscaled gradients becomes MaxGradNorm when above it.</summary>
    [Fact]
    public void Clip_by_norm_scales_the_unscaled_gradients()
    {
        var batch = new ClusterTask(seed: 4).Batch(0);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel free = Mlp(Precision.Fp16, device, Zero());
        free.TrainStep(batch);
        double norm = Math.Sqrt(free.Parameters.Sum(p => p.ReadGradient().Sum(v => (double)v * v)));

        float max = (float)(norm / 4);
        using ICompiledModel clipped = Mlp(Precision.Fp16, device, Zero() with { MaxGradNorm = max });
        clipped.TrainStep(batch);
        double clippedNorm = Math.Sqrt(clipped.Parameters.Sum(p => p.ReadGradient().Sum(v => (double)v * v)));
        Assert.InRange(clippedNorm, max * (1 - 1e-4), max * (1 + 1e-4));
    }

    [Fact]
    public void Training_on_cpu_is_deterministic()
    {
        float[] Run()
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel model = Mlp(Precision.Bf16, device, new TrainingOptions());
            var task = new ClusterTask(seed: 2);
            for (int i = 0; i < 5; i++)
            {
                model.TrainStep(task.Batch(i));
            }

            return model.Parameters.SelectMany(p => p.ReadMaster()).ToArray();
        }

        Assert.Equal(Run(), Run());
    }

    /// <summary>[Autocast(.., Also = ..)] plans one definition in several precisions; each variant is exactly the class declared in that precision.</summary>
    [Theory]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void A_precision_variant_trains_exactly_like_the_class_declared_in_that_precision(Precision precision)
    {
        var task = new ClusterTask(seed: 12);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel declared = Mlp(precision, device, new TrainingOptions());
        Init.ManualSeed(77);
        using ICompiledModel variant = new ClassifierAll().Compile(device, precision, new TrainingOptions());
        Assert.Equal(precision, variant.Plan.Autocast);
        Assert.Equal(precision, ClassifierAll.PlanFor(precision).Autocast);
        Assert.Equal(declared.Plan.Ops.Select(o => (o.Kind, o.Compute, o.Output)), variant.Plan.Ops.Select(o => (o.Kind, o.Compute, o.Output)));
        for (int step = 0; step < 3; step++)
        {
            Assert.Equal(declared.TrainStep(task.Batch(step)), variant.TrainStep(task.Batch(step)));
        }

        Assert.Equal(declared.Parameters[2].ReadMaster(), variant.Parameters[2].ReadMaster());
    }

    [Fact]
    public void Typed_overloads_are_the_batch_forms()
    {
        Batch batch = new ClusterTask(seed: 6).Batch(0);
        float[] x = batch.Get<float[]>("x");
        int[] y = batch.Get<int[]>("y");
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(8);
        using Classifier.Compiled typed = new Classifier().Compile(device);
        Init.ManualSeed(8);
        using Classifier.Compiled general = new Classifier().Compile(device);
        Assert.Equal(general.Forward(new Batch { { "x", x } }), typed.Forward(x));
        Assert.Equal(general.Evaluate(batch), typed.Evaluate(x, y));
        Assert.Equal(general.TrainStep(batch), typed.TrainStep(x, y));
        Assert.Equal(general.Parameters[0].ReadMaster(), typed.Parameters[0].ReadMaster());
    }

    /// <summary>The precision variants share one typed interface: Compile(device, precision, options) trains with typed arrays.</summary>
    [Theory]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void The_variants_share_a_typed_interface(Precision precision)
    {
        Batch batch = new ClusterTask(seed: 6).Batch(0);
        float[] x = batch.Get<float[]>("x");
        int[] y = batch.Get<int[]>("y");
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(8);
        using ClassifierAll.ICompiled typed = new ClassifierAll().Compile(device, precision);
        Init.ManualSeed(8);
        using ICompiledModel general = new ClassifierAll().Compile(device, precision);
        Assert.Equal(precision, typed.Plan.Autocast);
        Assert.Equal(general.Forward(new Batch { { "x", x } }), typed.Forward(x));
        Assert.Equal(general.Evaluate(batch), typed.Evaluate(x, y));
        Assert.Equal(general.TrainStep(batch), typed.TrainStep(x, y));
        Assert.Equal(general.Parameters[0].ReadMaster(), typed.Parameters[0].ReadMaster());
    }

    [Fact]
    public void Warmup_cosine_schedule_follows_its_formula()
    {
        LearningRateSchedule schedule = LearningRateSchedule.WarmupCosine(warmupSteps: 10, totalSteps: 110, minFactor: 0.1f);
        Assert.Equal(0.1, schedule.Factor(1), 12);
        Assert.Equal(1.0, schedule.Factor(10), 12);
        Assert.Equal(0.1 + (0.9 * 0.5), schedule.Factor(60), 6);
        Assert.Equal(0.1, schedule.Factor(110), 6);
        Assert.Equal(0.1, schedule.Factor(500), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupCosine(10, 10));
    }

    [Fact]
    public void Conflicting_options_are_refused()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var both = new TrainingOptions { Sgd = new SgdHyperparameters(0.1f), AdamW = new AdamWHyperparameters() };
        Assert.Contains("both", Assert.Throws<ArgumentException>(() => new ClassifierFp32().Compile(device, both)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClassifierFp32().Compile(device, new TrainingOptions { AccumulationSteps = 0 }));
    }

    /// <summary>SGD with learning rate 0: a step computes (and unscales) gradients and changes nothing.</summary>
    private static TrainingOptions Zero() => new() { Sgd = new SgdHyperparameters(LearningRate: 0f) };

    internal static ICompiledModel Mlp(Precision precision, AmpDevice device, TrainingOptions options)
    {
        Init.ManualSeed(77);
        return precision switch
        {
            Precision.Bf16 => new Classifier().Compile(device, options),
            Precision.Fp16 => new ClassifierFp16().Compile(device, options),
            _ => new ClassifierFp32().Compile(device, options),
        };
    }

    private static Dictionary<string, float[]> Gradients(ICompiledModel model, Batch batch)
    {
        using (model)
        {
            model.ComputeGradients(batch);
            return model.Parameters.ToDictionary(p => p.Name, p => p.ReadGradient());
        }
    }
}

/// <summary>Ten Gaussian clusters in 64 dimensions: a classification task with a known answer.</summary>
internal sealed class ClusterTask(int seed, int batch = 32)
{
    private readonly float[] centres = Data.Gaussian(10 * 64, seed);

    public Batch Batch(int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index)); // deterministic (HashCode.Combine is seeded per process)
        float[] noise = Data.Gaussian(batch * 64, random.Next(), scale: 1.5f);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            y[i] = random.Next(10);
            for (int j = 0; j < 64; j++)
            {
                noise[(i * 64) + j] += centres[(y[i] * 64) + j];
            }
        }

        return new Batch { { "x", noise }, { "y", y } };
    }
}

/// <summary>Next-character prediction on a short text, 8 characters of context, 40 symbols.</summary>
internal sealed class TextTask
{
    private const string Text = "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. all that glitters is not gold. ";
    private readonly int[] ids = Text.Select(c => c == ' ' ? 0 : c == '.' ? 1 : c - 'a' + 2).ToArray();

    /// <summary>Four windows per batch; index -1 is a fixed evaluation batch of 12 windows.</summary>
    public Batch Batch(int index)
    {
        int windows = index < 0 ? 12 : 4;
        var x = new int[windows * 8];
        var y = new int[windows * 8];
        for (int w = 0; w < windows; w++)
        {
            int start = index < 0 ? w * 8 : ((index * 4) + w) * 5 % (ids.Length - 9);
            for (int t = 0; t < 8; t++)
            {
                x[(w * 8) + t] = ids[start + t];
                y[(w * 8) + t] = ids[start + t + 1];
            }
        }

        return new Batch { { "idx", x }, { "targets", y } };
    }
}
