using Amp;
using Amp.Compilation;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>[Recompute] (activation checkpointing): fewer activations kept, the module's forward run again, the same bits.</summary>
public sealed class RecomputeTests
{
    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Gradients_and_loss_are_bit_identical_with_and_without_recompute(DeviceKind kind)
    {
        int[] tokens = Enumerable.Range(0, 24).Select(i => (i * 11) % 40).ToArray();
        var batch = new Batch { { "idx", tokens }, { "targets", tokens.Select(i => (i + 5) % 40).ToArray() } };
        using AmpDevice device = AmpDevice.Create(kind);
        (float Loss, Dictionary<string, float[]> Gradients) Run(Func<ICompiledModel> compile)
        {
            Init.ManualSeed(9);
            using ICompiledModel model = compile();
            float loss = model.ComputeGradients(batch);
            return (loss, model.Parameters.ToDictionary(p => p.Name, p => p.ReadGradient()));
        }

        var kept = Run(() => new TinyGpt().Compile(device));
        var recomputed = Run(() => new TinyGptRecompute().Compile(device));
        Assert.Equal(BitConverter.SingleToInt32Bits(kept.Loss), BitConverter.SingleToInt32Bits(recomputed.Loss));
        Assert.Equal(kept.Gradients.Keys, recomputed.Gradients.Keys);
        foreach ((string name, float[] g) in kept.Gradients)
        {
            Assert.True(g.AsSpan().SequenceEqual(recomputed.Gradients[name]), $"{name} differs with [Recompute]");
        }
    }

    [Fact]
    public void The_plan_shows_the_bytes_saved_and_the_extra_flops()
    {
        ModelPlan plan = TinyGptRecompute.Plan;
        Assert.True(plan.RecomputeSavedBytesPerSample > 0);
        Assert.Equal(TinyGpt.Plan.Memory.ActivationBytesPerSample - plan.RecomputeSavedBytesPerSample, plan.Memory.ActivationBytesPerSample);
        Assert.True(plan.Memory.WorkspaceBytesPerSample < TinyGpt.Plan.Memory.WorkspaceBytesPerSample);

        // Per sample and block: q, k, v, proj (4 x 2 x 8 x 32 x 32), attention (4 x 8 x 8 x 32), up and down (2 x 2 x 8 x 32 x 64).
        long perBlock = (4 * 2 * 8 * 32 * 32) + (4 * 8 * 8 * 32) + (2 * 2 * 8 * 32 * 64);
        Assert.Equal(2 * perBlock, plan.RecomputeFlopsPerSample);
        Assert.Contains(plan.Ops, o => o.Name == "blocks.1.up" && o.Reason.Contains("[Recompute] blocks.1", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Ops, o => o.Name == "head" && o.Reason.Contains("[Recompute]", StringComparison.Ordinal));
        Assert.Equal(0, TinyGpt.Plan.RecomputeSavedBytesPerSample);
        Assert.Contains("[Recompute] saves", plan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_with_recompute_allocates_exactly_its_plan()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using (TinyGptRecompute.Compiled model = new TinyGptRecompute().Compile(device))
        {
            int[] tokens = new int[4 * 8];
            model.TrainStep(new Batch { { "idx", tokens }, { "targets", tokens } });
            Assert.Equal(model.Plan.Memory.TrainingBytes(4, model.Options), device.AllocatedBytes);
        }
    }
}
