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

    /// <summary>
    /// PyTorch's gradient rule halves the backward's buffers: the 2-layer transformer LM in BF16 against its FP32
    /// variant keeps at most 55 % of the activations, 60 % of the workspace per sample and, for a whole AdamW training
    /// session at batch 64 (masters, working copies, gradients, optimizer state, activations, workspace), 65 %.
    /// </summary>
    [Fact]
    public void Bf16_transformer_lm_meets_the_memory_targets()
    {
        MemoryPlan bf16 = TransformerLm.Plan.Memory, fp32 = TransformerLm.PlanFp32.Memory;
        var options = new TrainingOptions();
        double activations = (double)bf16.ActivationBytesPerSample / fp32.ActivationBytesPerSample;
        double workspace = (double)bf16.WorkspaceBytesPerSample / fp32.WorkspaceBytesPerSample;
        double session = (double)bf16.TrainingBytes(64, options) / fp32.TrainingBytes(64, options);
        string figures = $"activations {bf16.ActivationBytesPerSample} / {fp32.ActivationBytesPerSample} B = {activations:P1}, " +
                         $"workspace {bf16.WorkspaceBytesPerSample} / {fp32.WorkspaceBytesPerSample} B = {workspace:P1}, " +
                         $"session at batch 64 {bf16.TrainingBytes(64, options)} / {fp32.TrainingBytes(64, options)} B = {session:P1}";
        Assert.True(activations <= 0.55 && workspace <= 0.60 && session <= 0.65, figures);
        Assert.True(TransformerLm.Plan.Fp32Gradients is false, figures);
    }

    /// <summary>The target: the BF16 GPT block keeps at most 55% of the FP32 block's activation bytes per sample.</summary>
    [Fact]
    public void Bf16_gpt_block_keeps_at_most_55_percent_of_fp32_activations()
    {
        MemoryPlan bf16 = GptBlock.Plan.Memory, fp32 = GptBlockFp32.Plan.Memory;
        Assert.Equal(fp32.ActivationBytesPerSample, bf16.Fp32ActivationBytesPerSample);
        Assert.True(bf16.ActivationRatio <= 0.55, $"BF16 {bf16.ActivationBytesPerSample} B vs FP32 {fp32.ActivationBytesPerSample} B per sample: {bf16.ActivationRatio:P1}");
        Assert.True(bf16.WorkspaceBytesPerSample < fp32.WorkspaceBytesPerSample);

        // With PyTorch's gradient rule (its FP32 input and target stay FP32): 61.7 % of the workspace, 64.2 % of a session at batch 64.
        var options = new TrainingOptions();
        Assert.True(bf16.WorkspaceBytesPerSample <= 0.65 * fp32.WorkspaceBytesPerSample, $"{bf16.WorkspaceBytesPerSample} / {fp32.WorkspaceBytesPerSample} B");
        Assert.True(bf16.TrainingBytes(64, options) <= 0.65 * fp32.TrainingBytes(64, options), $"{bf16.TrainingBytes(64, options)} / {fp32.TrainingBytes(64, options)} B");
    }
}
