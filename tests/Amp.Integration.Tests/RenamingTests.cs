using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Names are not semantics: a model whose fields are named like the generated locals plans and trains exactly as the original.</summary>
public sealed class RenamingTests
{
    [Fact]
    public void Field_names_like_generated_locals_change_neither_the_memory_plan_nor_the_step()
    {
        Assert.Equal(TinyGpt.Plan.Memory, RenamedGpt.Plan.Memory);
        Assert.Equal(TinyGpt.Plan.Ops.Select(o => (o.Kind, o.Compute, o.Output, o.Shape)), RenamedGpt.Plan.Ops.Select(o => (o.Kind, o.Compute, o.Output, o.Shape)));

        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(5);
        using TinyGpt.Compiled original = new TinyGpt().Compile(device);
        Init.ManualSeed(5);
        using RenamedGpt.Compiled renamed = new RenamedGpt().Compile(device);
        var random = new Random(3);
        for (int step = 0; step < 4; step++)
        {
            int[] ids = Enumerable.Range(0, 4 * 8).Select(_ => random.Next(40)).ToArray(), targets = Enumerable.Range(0, 4 * 8).Select(_ => random.Next(40)).ToArray();
            float a = original.TrainStep(new Batch { { "idx", ids }, { "targets", targets } }).Loss;
            float b = renamed.TrainStep(new Batch { { "t9", ids }, { "g9", targets } }).Loss;
            Assert.Equal(BitConverter.SingleToInt32Bits(a), BitConverter.SingleToInt32Bits(b));
        }

        Assert.Equal(original.Forward(new Batch { { "idx", new int[8] } }), renamed.Forward(new Batch { { "t9", new int[8] } }));
    }
}
