using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Plan.Memory is what a training session allocates, to the byte; AMP halves the activation memory.</summary>
public sealed class MemoryTests
{
    public static TheoryData<string, TrainingOptions> Sessions => new()
    {
        { "mlp-bf16", new TrainingOptions() },
        { "mlp-fp32-sgd", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f, Momentum: 0.9f) } },
        { "gpt-bf16", new TrainingOptions() },
        { "everyop-fp32", new TrainingOptions { Sgd = new SgdHyperparameters(0.1f) } },
    };

    [Theory]
    [MemberData(nameof(Sessions))]
    public void A_training_session_allocates_exactly_the_memory_plan(string model, TrainingOptions options)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(1);
        int batch = 6;
        (ICompiledModel compiled, Batch data) = model switch
        {
            "mlp-bf16" => (new Classifier().Compile(device, options), new ClusterTask(3, batch).Batch(0)),
            "mlp-fp32-sgd" => ((ICompiledModel)new ClassifierFp32().Compile(device, options), new ClusterTask(3, batch).Batch(0)),
            "gpt-bf16" => (new TinyGpt().Compile(device, options), new Batch { { "idx", new int[batch * 8] }, { "targets", new int[batch * 8] } }),
            _ => (new EveryOp().Compile(device, options), new Batch { { "ids", new int[batch * 4] }, { "x", new float[batch * 64] }, { "target", new float[batch] } }),
        };
        using (compiled)
        {
            compiled.TrainStep(data);
            compiled.TrainStep(data);
            Assert.Equal(compiled.Plan.Memory.TrainingBytes(batch, options), device.AllocatedBytes);
        }

        Assert.Equal(0, device.AllocatedBytes);
    }

    /// <summary>The target: the BF16 GPT block keeps at most 55% of the FP32 block's activation bytes per sample.</summary>
    [Fact]
    public void Bf16_gpt_block_keeps_at_most_55_percent_of_fp32_activations()
    {
        MemoryPlan bf16 = GptBlock.Plan.Memory, fp32 = GptBlockFp32.Plan.Memory;
        Assert.Equal(fp32.ActivationBytesPerSample, bf16.Fp32ActivationBytesPerSample);
        Assert.True(bf16.ActivationRatio <= 0.55, $"BF16 {bf16.ActivationBytesPerSample} B vs FP32 {fp32.ActivationBytesPerSample} B per sample: {bf16.ActivationRatio:P1}");
        Assert.True(bf16.WorkspaceBytesPerSample < fp32.WorkspaceBytesPerSample);
    }
}
