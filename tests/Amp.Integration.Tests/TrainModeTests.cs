using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// EvaluateTrainMode and ComputeGradients: training semantics without side effects, the fixed function that finite
/// differences need (BatchNorm's running statistics and the Dropout counter will depend on it).
/// </summary>
public sealed class TrainModeTests
{
    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void Train_mode_evaluation_changes_nothing_and_is_the_loss_the_next_step_sees(Precision precision)
    {
        var task = new ClusterTask(seed: 51);
        Batch batch = task.Batch(0);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(3);
        using ICompiledModel model = new ClassifierAll().Compile(device, precision, new TrainingOptions());
        model.TrainStep(task.Batch(1));
        float[][] masters = model.Parameters.Select(p => p.ReadMaster()).ToArray();
        float[][] gradients = model.Parameters.Select(p => p.ReadGradient()).ToArray();
        (int step, float scale, string state) = (model.OptimizerStep, model.Scaler.Scale, string.Join(",", model.Scaler.SaveState()));

        float first = model.EvaluateTrainMode(batch), second = model.EvaluateTrainMode(batch);

        Assert.Equal(first, second);
        Assert.Equal((step, scale, state), (model.OptimizerStep, model.Scaler.Scale, string.Join(",", model.Scaler.SaveState())));
        for (int i = 0; i < masters.Length; i++)
        {
            Assert.Equal(masters[i], model.Parameters[i].ReadMaster());
            Assert.Equal(gradients[i], model.Parameters[i].ReadGradient());
        }

        // The next TrainStep computes exactly this loss, before its update.
        Assert.Equal(first, model.TrainStep(batch).Loss);
    }

    [Fact]
    public void Compute_gradients_is_train_mode_and_steps_nothing()
    {
        Batch batch = new ClusterTask(seed: 52).Batch(0);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(4);
        using ICompiledModel model = new ClassifierFp32().Compile(device);
        float[][] masters = model.Parameters.Select(p => p.ReadMaster()).ToArray();

        float loss = model.ComputeGradients(batch);
        float[][] gradients = model.Parameters.Select(p => p.ReadGradient()).ToArray();

        Assert.Equal(model.EvaluateTrainMode(batch), loss);
        Assert.Equal(0, model.OptimizerStep);
        Assert.Equal(masters, model.Parameters.Select(p => p.ReadMaster()).ToArray());
        Assert.Equal(loss, model.ComputeGradients(batch));
        Assert.Equal(gradients, model.Parameters.Select(p => p.ReadGradient()).ToArray());
    }
}
