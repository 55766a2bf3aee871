using Amp;
using Amp.Checkpoints;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// BatchNorm2d: training on the batch's statistics with PyTorch's running update (unbiased variance, momentum,
/// num_batches_tracked), eval on the running statistics, buffers listed and checkpointed, Cpu and IlgpuCpu alike.
/// </summary>
public sealed class BatchNormTests
{
    private const int Channels = 3, Pixels = 16;

    private static Batch Images(int batch, int seed)
    {
        // Per-channel offsets and spreads, so each channel's statistics differ from 0/1 and from each other.
        float[] pixels = Data.Gaussian(batch * Channels * Pixels, seed);
        for (int i = 0; i < pixels.Length; i++)
        {
            int c = i / Pixels % Channels;
            pixels[i] = (pixels[i] * (0.5f + c)) + (c - 1.5f);
        }

        int[] labels = Enumerable.Range(0, batch).Select(b => (b * 7 + seed) % 4).ToArray();
        return new Batch { { "image", pixels }, { "label", labels } };
    }

    /// <summary>SGD with learning rate 0: the weights stay, the running statistics move.</summary>
    private static TrainingOptions Frozen() => new() { Sgd = new SgdHyperparameters(LearningRate: 0f) };

    private static T[] Values<T>(Batch batch, string name) => batch.TryGet(name, out Array? values) ? (T[])values! : throw new KeyNotFoundException(name);

    private static float[] Buffer(ICompiledModel model, string name) => model.Buffers.Single(b => b.Name == name).Read();

    [Fact]
    public void Buffers_are_listed_with_pytorch_names_shapes_and_dtypes()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new BatchNormNet().Compile(device);
        Assert.Equal(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"], model.Buffers.Select(b => b.Name));
        Assert.Equal([[3], [3], []], model.Buffers.Select(b => b.Shape.ToArray()));
        Assert.Equal(["F32", "F32", "I64"], model.Buffers.Select(b => b.DType));
        Assert.Equal([0f, 0f, 0f], Buffer(model, "bn.running_mean"));
        Assert.Equal([1f, 1f, 1f], Buffer(model, "bn.running_var"));
        Assert.Equal([0f], Buffer(model, "bn.num_batches_tracked"));
        Assert.Equal(["bn.weight", "bn.bias", "head.weight", "head.bias"], model.Parameters.Select(p => p.Name));
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void One_train_step_updates_the_running_statistics_as_pytorch(DeviceKind kind)
    {
        const int batch = 6;
        Batch images = Images(batch, seed: 1);
        float[] x = Values<float>(images, "image");
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel model = new BatchNormNet().Compile(device, Precision.Fp32, Frozen());
        model.TrainStep(images);

        // By hand: mean and unbiased variance of each channel over batch and pixels; running = 0.9 running + 0.1 batch.
        float[] mean = Buffer(model, "bn.running_mean"), variance = Buffer(model, "bn.running_var");
        for (int c = 0; c < Channels; c++)
        {
            double[] values = Enumerable.Range(0, batch).SelectMany(b => x.Skip(((b * Channels) + c) * Pixels).Take(Pixels)).Select(v => (double)v).ToArray();
            double mu = values.Average(), unbiased = values.Sum(v => (v - mu) * (v - mu)) / (values.Length - 1);
            Assert.Equal(0.1 * mu, mean[c], 5);
            Assert.Equal((0.9 * 1) + (0.1 * unbiased), variance[c], 5);
        }

        Assert.Equal([1f], Buffer(model, "bn.num_batches_tracked"));
    }

    [Fact]
    public void Only_train_step_changes_the_buffers()
    {
        Batch images = Images(4, seed: 2);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new BatchNormNet().Compile(device, Precision.Fp32, Frozen());
        model.Forward(images);
        model.Evaluate(images);
        model.EvaluateTrainMode(images);
        model.ComputeGradients(images);
        Assert.Equal([0f, 0f, 0f], Buffer(model, "bn.running_mean"));
        Assert.Equal([0f], Buffer(model, "bn.num_batches_tracked"));
        model.TrainStep(images);
        model.TrainStep(images);
        Assert.Equal([2f], Buffer(model, "bn.num_batches_tracked"));
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Training_and_eval_match_the_fp64_reference_in_each_mode(DeviceKind kind)
    {
        Init.ManualSeed(3);
        var definition = new BatchNormNet();
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel model = definition.Compile(device, Precision.Fp32, Frozen());
        for (int step = 0; step < 3; step++)
        {
            Batch images = Images(5, seed: 10 + step);
            float loss = model.TrainStep(images).Loss;
            using (EagerMode.Train())
            {
                double expected = definition.Loss(definition.Logits(Tensor.FromFloats(Values<float>(images, "image"), 5, 3, 4, 4)), new Labels(Values<int>(images, "label")))[0];
                Assert.Equal(expected, loss, 5);
            }
        }

        // Three momentum updates, eager and compiled alike; eval then normalises with them.
        Assert.Equal(definition.Buffers("bn.running_mean"), Buffer(model, "bn.running_mean"), new Tolerance(1e-5));
        Assert.Equal(definition.Buffers("bn.running_var"), Buffer(model, "bn.running_var"), new Tolerance(1e-5));
        Assert.Equal(3f, Buffer(model, "bn.num_batches_tracked")[0]);
        Batch test = Images(2, seed: 20);
        float[] logits = model.Forward(test);
        double[] reference = definition.Logits(Tensor.FromFloats(Values<float>(test, "image"), 2, 3, 4, 4)).ToArray();
        Assert.Equal(reference.Select(v => (float)v), logits, new Tolerance(1e-5));
    }

    [Fact]
    public void Cpu_and_ilgpu_keep_the_same_statistics()
    {
        float[] Run(DeviceKind kind)
        {
            Init.ManualSeed(5);
            using AmpDevice device = AmpDevice.Create(kind);
            using ICompiledModel model = new ConvBnNet().Compile(device);
            for (int step = 0; step < 2; step++)
            {
                model.TrainStep(ConvImages(4, step));
            }

            return [.. model.Buffers.SelectMany(b => b.Read()), .. model.Forward(ConvImages(2, 9))];
        }

        Assert.Equal(Run(DeviceKind.Cpu), Run(DeviceKind.IlgpuCpu), new Tolerance(1e-4));
    }

    [Fact]
    public void Recompute_updates_the_running_statistics_once_and_gives_the_same_bits()
    {
        (float[] Buffers, float[] Gradients) Run(Func<AmpDevice, ICompiledModel> compile)
        {
            Init.ManualSeed(6);
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel model = compile(device);
            model.TrainStep(ConvImages(4, 0));
            model.ComputeGradients(ConvImages(4, 1));
            return (model.Buffers.SelectMany(b => b.Read()).ToArray(), model.Parameters.SelectMany(p => p.ReadGradient()).ToArray());
        }

        var kept = Run(d => new ConvBnNet().Compile(d));
        var recomputed = Run(d => new ConvBnNetRecompute().Compile(d));
        Assert.Equal(kept.Buffers, recomputed.Buffers);
        Assert.Equal(kept.Gradients, recomputed.Gradients);
        Assert.Equal(1f, kept.Buffers[^1]);
    }

    [Fact]
    public void One_value_per_channel_in_training_is_refused_as_in_pytorch()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = new PooledBatchNorm().Compile(device);
        var one = new Batch { { "image", Data.Gaussian(18, seed: 1) }, { "label", new[] { 1 } } };
        var e = Assert.Throws<ArgumentException>(() => model.TrainStep(one));
        Assert.Contains("bn", e.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 2, 1, 1]", e.Message, StringComparison.Ordinal);
        Assert.Equal([0f], Buffer(model, "bn.num_batches_tracked"));
        Assert.Equal(2, model.Forward(one).Length);
        model.TrainStep(new Batch { { "image", Data.Gaussian(36, seed: 2) }, { "label", new[] { 0, 1 } } });
        Assert.Equal([1f], Buffer(model, "bn.num_batches_tracked"));
    }

    [Fact]
    public void Checkpoints_keep_the_buffers_with_pytorch_names_and_an_i64_counter()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amp-bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel trained = new BatchNormNet().Compile(device);
            for (int step = 0; step < 3; step++)
            {
                trained.TrainStep(Images(4, seed: step));
            }

            trained.SaveSafetensors(path);
            (Dictionary<string, SafetensorsTensor> tensors, _) = SafetensorsFile.Read(path);
            Assert.Equal("I64", tensors["bn.num_batches_tracked"].DType);
            Assert.Equal([3L], tensors["bn.num_batches_tracked"].Integers!);
            Assert.Empty(tensors["bn.num_batches_tracked"].Shape);
            Assert.Equal("F32", tensors["bn.running_var"].DType);

            using ICompiledModel resumed = new BatchNormNet().Compile(device);
            resumed.LoadSafetensors(path);
            foreach (IBuffer b in trained.Buffers)
            {
                Assert.Equal(b.Read(), Buffer(resumed, b.Name));
            }

            Batch test = Images(3, seed: 9);
            Assert.Equal(trained.Forward(test), resumed.Forward(test));
            Assert.Equal(trained.TrainStep(test).Loss, resumed.TrainStep(test).Loss);
            Assert.Equal(Buffer(trained, "bn.running_mean"), Buffer(resumed, "bn.running_mean"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_checkpoint_without_or_with_a_wrong_buffer_is_refused_and_changes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amp-bn-bad-{Guid.NewGuid():N}.safetensors");
        try
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel model = new BatchNormNet().Compile(device);
            model.TrainStep(Images(4, seed: 1));
            model.SaveSafetensors(path);
            (Dictionary<string, SafetensorsTensor> tensors, Dictionary<string, string> metadata) = SafetensorsFile.Read(path);
            metadata.Remove(SafetensorsFile.ChecksumKey);

            float[] before = Buffer(model, "bn.running_mean");
            var missing = tensors.Values.Where(t => t.Name != "bn.running_var").ToList();
            SafetensorsFile.Write(path, missing, metadata);
            Assert.Contains("bn.running_var", Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path)).Message, StringComparison.Ordinal);

            var negative = tensors.Values.Select(t => t.Name == "bn.num_batches_tracked" ? SafetensorsTensor.Int64(t.Name, [], [-1]) : t).ToList();
            SafetensorsFile.Write(path, negative, metadata);
            Assert.Contains("num_batches_tracked", Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path)).Message, StringComparison.Ordinal);

            var reshaped = tensors.Values.Select(t => t.Name == "bn.running_mean" ? new SafetensorsTensor(t.Name, [1, 3], t.Values) : t).ToList();
            SafetensorsFile.Write(path, reshaped, metadata);
            Assert.Contains("[1, 3]", Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path)).Message, StringComparison.Ordinal);

            Assert.Equal(before, Buffer(model, "bn.running_mean"));
            Assert.Equal([1f], Buffer(model, "bn.num_batches_tracked"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_plan_keeps_statistics_in_fp32_and_the_output_in_the_inputs_precision()
    {
        PlannedOp bn = BatchNormNet.PlanFor(Precision.Bf16).Ops.Single(op => op.Kind == OpKind.BatchNorm2d);
        Assert.Equal(Precision.Fp32, bn.Compute);
        Assert.Equal(Precision.Fp32, bn.Output);
        PlannedOp conv = ConvBnNet.Plan.Ops.Single(op => op.Kind == OpKind.BatchNorm2d);
        Assert.Contains("FP32 statistics", conv.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Repeated_blocks_share_one_body_and_keep_their_own_statistics(DeviceKind kind)
    {
        Init.ManualSeed(7);
        var definition = new DeepBatchNormNet();
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel model = definition.Compile(device, Precision.Fp32, Frozen());
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(i => new[] { $"blocks.{i}.bn.running_mean", $"blocks.{i}.bn.running_var", $"blocks.{i}.bn.num_batches_tracked" }), model.Buffers.Select(b => b.Name));
        var sink = new Dictionary<string, LayerParameter>();
        for (int step = 0; step < 2; step++)
        {
            var images = new Batch { { "image", Data.Gaussian(4 * 36, seed: 50 + step) }, { "label", new[] { 0, 1, 2, 1 } } };
            float loss = model.TrainStep(images).Loss;
            using IDisposable training = EagerMode.Train();
            Assert.Equal(definition.Loss(definition.Logits(Tensor.FromFloats(Values<float>(images, "image"), 4, 1, 6, 6)), new Labels([0, 1, 2, 1]))[0], loss, 5);
        }

        definition.CollectAmpParameters(string.Empty, sink);
        foreach (IBuffer b in model.Buffers.Where(b => b.DType == "F32"))
        {
            Assert.Equal(sink[b.Name].Values, b.Read(), new Tolerance(1e-5));
        }

        // Every block normalises a different tensor: their statistics differ.
        Assert.NotEqual(Buffer(model, "blocks.0.bn.running_var"), Buffer(model, "blocks.2.bn.running_var"));
        Assert.Equal([2f], Buffer(model, "blocks.1.bn.num_batches_tracked"));
    }

    private static Batch ConvImages(int batch, int seed) => new()
    {
        { "image", Data.Gaussian(batch * 72, seed: seed + 40) },
        { "label", Enumerable.Range(0, batch).Select(b => (b + seed) % 3).ToArray() },
    };
}

/// <summary>Absolute tolerance for float sequences.</summary>
internal sealed class Tolerance(double epsilon) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= epsilon * Math.Max(1, Math.Abs(x));

    public int GetHashCode(float obj) => 0;
}

internal static class BatchNormDefinitions
{
    /// <summary>The eager layer's buffer by PyTorch name.</summary>
    public static float[] Buffers(this BatchNormNet definition, string name)
    {
        var sink = new Dictionary<string, LayerParameter>();
        definition.CollectAmpParameters(string.Empty, sink);
        return sink[name].Values;
    }
}
