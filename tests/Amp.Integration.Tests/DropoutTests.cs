using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// Dropout: masks from a counter-based generator keyed at Compile, counted per TrainStep, the same on Cpu and IlgpuCpu,
/// saved in checkpoints; the identity in eval mode; the backward through the same masks.
/// </summary>
public sealed class DropoutTests
{
    private static readonly Batch Data4 = new()
    {
        { "x", Data.Gaussian(8 * 6, seed: 3) },
        { "y", new[] { 0, 1, 2, 0, 1, 2, 2, 1 } },
    };

    private static ICompiledModel Compile(AmpDevice device, float learningRate = 1e-3f)
    {
        Init.ManualSeed(12);
        return new DropoutMlp().Compile(device, Precision.Fp32, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: learningRate) });
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Eval_mode_is_the_identity_and_matches_the_reference(DeviceKind kind)
    {
        Init.ManualSeed(12);
        var model = new DropoutMlp();
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device, Precision.Fp32);
        float[] x = (float[])Data4.Single(e => e.Key == "x").Value;
        float[] actual = compiled.Forward(new Batch { { "x", x } });
        double[] expected = model.Logits(Tensor.FromFloats(x, 8, 6)).ToArray();
        Assert.All(Enumerable.Range(0, expected.Length), i => Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"[{i}] {actual[i]} vs {expected[i]}"));
        Assert.NotEqual(compiled.Evaluate(Data4), compiled.EvaluateTrainMode(Data4));
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Training_mode_gradients_match_finite_differences_of_the_same_masks(DeviceKind kind)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel model = Compile(device);
        model.ComputeGradients(Data4);
        var failures = new List<string>();
        foreach (IParameter p in model.Parameters)
        {
            float[] gradient = p.ReadGradient(), weights = p.ReadMaster();
            for (int i = 0; i < weights.Length; i += Math.Max(1, weights.Length / 5))
            {
                float original = weights[i];
                const float h = 1e-2f;
                weights[i] = original + h;
                p.WriteMaster(weights);
                double plus = model.EvaluateTrainMode(Data4);
                weights[i] = original - h;
                p.WriteMaster(weights);
                double minus = model.EvaluateTrainMode(Data4);
                weights[i] = original;
                p.WriteMaster(weights);
                double fd = (plus - minus) / (2 * h);
                if (Math.Abs(gradient[i] - fd) > (2e-2 * Math.Abs(fd)) + 2e-4)
                {
                    failures.Add($"{p.Name}[{i}]: {gradient[i]:G6} vs finite difference {fd:G6}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void A_dropout_layer_field_is_the_same_op_with_the_same_masks()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel op = Compile(device);
        Init.ManualSeed(12);
        using ICompiledModel layer = new DropoutLayerMlp().Compile(device, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 1e-3f) });
        PlannedOp planned = layer.Plan.Ops.Single(o => o.Kind == OpKind.Dropout);
        Assert.Equal("drop", planned.Name);
        Assert.Equal(op.Parameters.Select(p => p.Name), layer.Parameters.Select(p => p.Name));
        for (int step = 0; step < 3; step++)
        {
            Assert.Equal(op.TrainStep(Data4).Loss, layer.TrainStep(Data4).Loss);
        }

        Assert.Equal(op.Forward(Data4), layer.Forward(Data4));
        Assert.NotEqual(layer.EvaluateTrainMode(Data4), layer.Evaluate(Data4));
    }

    [Fact]
    public void Masks_are_the_same_on_cpu_and_ilgpu_and_advance_per_train_step()
    {
        using AmpDevice cpu = AmpDevice.Create(DeviceKind.Cpu), ilgpu = AmpDevice.Create(DeviceKind.IlgpuCpu);
        using ICompiledModel a = Compile(cpu, learningRate: 0f), b = Compile(ilgpu, learningRate: 0f);
        float first = a.EvaluateTrainMode(Data4);
        Assert.Equal(first, b.EvaluateTrainMode(Data4), 5);
        Assert.Equal(first, a.EvaluateTrainMode(Data4));
        a.TrainStep(Data4);
        b.TrainStep(Data4);
        float second = a.EvaluateTrainMode(Data4);
        Assert.NotEqual(first, second);
        Assert.Equal(second, b.EvaluateTrainMode(Data4), 5);
    }

    [Fact]
    public void A_checkpoint_resumes_the_masks()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amp-dropout-{Guid.NewGuid():N}.safetensors");
        try
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using ICompiledModel model = Compile(device, learningRate: 0f);
            model.TrainStep(Data4);
            model.SaveSafetensors(path);
            float next = model.EvaluateTrainMode(Data4);
            model.TrainStep(Data4);
            model.TrainStep(Data4);
            Assert.NotEqual(next, model.EvaluateTrainMode(Data4));

            Init.ManualSeed(99);
            using ICompiledModel resumed = new DropoutMlp().Compile(device, Precision.Fp32, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 0f) });
            resumed.LoadSafetensors(path);
            Assert.Equal(next, resumed.EvaluateTrainMode(Data4));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
