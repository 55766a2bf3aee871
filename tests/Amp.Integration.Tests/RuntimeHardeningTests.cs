using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Runtime faults that once passed silently: each is now a clear exception or a notice.</summary>
public sealed class RuntimeHardeningTests
{
    [Theory]
    [InlineData(46341, 46341)]
    [InlineData(65536, 65536)]
    public void A_layer_too_large_for_one_array_is_refused_with_its_size(int inFeatures, int outFeatures)
    {
        var e = Assert.Throws<ArgumentException>(() => new Linear(inFeatures, outFeatures));
        Assert.Contains($"Linear({inFeatures}, {outFeatures})", e.Message);
        Assert.Contains(((long)inFeatures * outFeatures).ToString("N0"), e.Message);
        Assert.Throws<ArgumentException>(() => new Embedding(1 << 20, 1 << 12));
    }

    public static TheoryData<string, TrainingOptions> BadHyperparameters => new()
    {
        { "Dampening", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, Momentum: 0.9f, Dampening: float.NaN) } },
        { "Dampening", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, Dampening: 1.5f) } },
        { "Momentum", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, Momentum: float.NaN) } },
        { "Momentum", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, Momentum: float.PositiveInfinity) } },
        { "LearningRate", new TrainingOptions { Sgd = new SgdHyperparameters(float.NaN) } },
        { "WeightDecay", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, WeightDecay: float.NaN) } },
        { "LearningRate", new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: -1e-3f) } },
        { "Beta1", new TrainingOptions { AdamW = new AdamWHyperparameters(Beta1: float.NaN) } },
        { "Beta2", new TrainingOptions { AdamW = new AdamWHyperparameters(Beta2: 1f) } },
        { "Epsilon", new TrainingOptions { AdamW = new AdamWHyperparameters(Epsilon: float.NaN) } },
        { "WeightDecay", new TrainingOptions { AdamW = new AdamWHyperparameters(WeightDecay: float.PositiveInfinity) } },
        { "MaxGradNorm", new TrainingOptions { MaxGradNorm = float.NaN } },
    };

    [Theory]
    [MemberData(nameof(BadHyperparameters))]
    public void Every_hyperparameter_is_checked_and_the_bad_one_named(string name, TrainingOptions options)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ClassifierFp32().Compile(device, options));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void A_schedule_that_gives_a_non_finite_factor_stops_the_step()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new ClassifierFp32().Compile(device, new TrainingOptions { Schedule = new NanSchedule() });
        var e = Assert.Throws<InvalidOperationException>(() => model.TrainStep(new ClusterTask(seed: 3).Batch(0)));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void A_diverging_step_without_a_scaler_is_counted_and_raised_as_a_notice()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new ClassifierFp32().Compile(device);
        var notices = new List<DeviceNotice>();
        device.Notice += (_, n) => notices.Add(n);
        Batch good = new ClusterTask(seed: 4).Batch(0);
        float[] x = (float[])good.Get<float[]>("x").Clone();
        x[5] = float.NaN;

        Assert.False(model.TrainStep(good).Skipped);
        StepResult skipped = model.TrainStep(new Batch { { "x", x }, { "y", good.Get<int[]>("y") } });

        Assert.True(skipped.Skipped);
        Assert.Equal(1, model.SkippedSteps);
        DeviceNotice notice = Assert.Single(notices);
        Assert.Equal(DeviceNoticeKind.SkippedStep, notice.Kind);
        Assert.Equal(nameof(ClassifierFp32), notice.Source);
        Assert.Contains("without a loss scaler", notice.Message);
        Assert.Equal(1, device.NoticeCounts[DeviceNoticeKind.SkippedStep]);
    }

    [Fact]
    public void An_fp16_scale_that_reaches_zero_is_raised_and_every_later_step_is_skipped()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var scaler = new LossScaler(initScale: float.Epsilon);
        using ICompiledModel model = new ClassifierFp16().Compile(device, new TrainingOptions { Scaler = scaler });
        var notices = new List<DeviceNotice>();
        device.Notice += (_, n) => notices.Add(n);
        Batch good = new ClusterTask(seed: 5).Batch(0);
        float[] x = (float[])good.Get<float[]>("x").Clone();
        x[0] = float.PositiveInfinity;

        Assert.True(model.TrainStep(new Batch { { "x", x }, { "y", good.Get<int[]>("y") } }).Skipped);
        Assert.Equal(0f, scaler.Scale);
        Assert.Equal(DeviceNoticeKind.ScaleCollapsed, Assert.Single(notices).Kind);

        // GradScaler has no floor. At scale 0 it would unscale zeros by inf into NaN weights; Amp skips the step instead.
        float[][] before = model.Parameters.Select(p => p.ReadMaster()).ToArray();
        Assert.True(model.TrainStep(good).Skipped);
        Assert.True(model.TrainStep(good).Skipped);
        Assert.Equal(3, model.SkippedSteps);
        Assert.Equal(before, model.Parameters.Select(p => p.ReadMaster()).ToArray());
    }

    [Fact]
    public void One_model_called_from_a_second_call_in_flight_throws_instead_of_mixing_buffers()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new ClassifierFp32().Compile(device);
        Batch good = new ClusterTask(seed: 6).Batch(0);
        float[] x = (float[])good.Get<float[]>("x").Clone();
        x[1] = float.NaN;

        // The notice of a skipped step is raised inside TrainStep: a call from its handler meets the model in use.
        InvalidOperationException? refused = null;
        device.Notice += (_, _) => refused = Record.Exception(() => model.Forward(good)) as InvalidOperationException;
        model.TrainStep(new Batch { { "x", x }, { "y", good.Get<int[]>("y") } });

        Assert.NotNull(refused);
        Assert.Contains("already running TrainStep", refused!.Message);
        Assert.Equal(32 * 10, model.Forward(good).Length);
    }

    [Fact]
    public void Two_threads_on_one_model_never_see_each_others_results_and_two_models_run_side_by_side()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(8);
        var definition = new ClassifierFp32();
        using ICompiledModel shared = definition.Compile(device), second = definition.Compile(device);
        Batch[] batches = [new ClusterTask(seed: 7, batch: 64).Batch(0), new ClusterTask(seed: 9, batch: 64).Batch(0)];
        float[][] expected = batches.Select(b => shared.Forward(b)).ToArray();
        int wrong = 0, refused = 0;
        void Hammer(int which, ICompiledModel model)
        {
            for (int i = 0; i < 400; i++)
            {
                try
                {
                    if (!model.Forward(batches[which]).SequenceEqual(expected[which]))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        Parallel.Invoke(() => Hammer(0, shared), () => Hammer(1, shared));
        Assert.Equal(0, wrong);

        refused = 0;
        Parallel.Invoke(() => Hammer(0, shared), () => Hammer(1, second));
        Assert.Equal(0, wrong);
        Assert.Equal(0, refused);
    }

    private sealed record NanSchedule : LearningRateSchedule
    {
        public override double Factor(int step) => double.NaN;
    }
}
