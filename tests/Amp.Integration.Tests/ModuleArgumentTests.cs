using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// A model whose modules take constructor arguments: compiled against its own FP64 eager run (the same classes, run
/// with the same arguments) and its gradients against finite differences, on Cpu and IlgpuCpu.
/// </summary>
public sealed class ModuleArgumentTests
{
    public static TheoryData<DeviceKind> Devices => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    [Fact]
    public void The_plan_has_each_instance_at_its_own_size()
    {
        PlannedOp narrow = ArgumentGpt.Plan.Ops.Single(op => op.Name == "blocks.2.up");
        PlannedOp wide = ArgumentGpt.Plan.Ops.Single(op => op.Name == "wide.up");
        Assert.Equal("[Batch, 8, 64]", narrow.Shape);   // 4 * 16
        Assert.Equal("[Batch, 8, 48]", wide.Shape);     // expansion 2 * 24

        var model = new ArgumentGpt();
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        Assert.Equal(new[] { 48, 24 }, parameters["wide.up.weight"].Shape);
        Assert.Equal(new[] { 64, 16 }, parameters["blocks.0.up.weight"].Shape);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Forward_matches_the_fp64_reference_of_the_same_classes(DeviceKind kind)
    {
        Init.ManualSeed(23);
        var model = new ArgumentGpt();
        int[] ids = Enumerable.Range(0, 16).Select(i => (i * 11) % 40).ToArray();
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device);
        float[] actual = compiled.Forward(new Batch { { "idx", ids } });
        double[] expected = model.Logits(new Tokens(ids, 2, 8)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Gradients_match_finite_differences(DeviceKind kind)
    {
        Init.ManualSeed(29);
        var model = new ArgumentGpt();
        int[] ids = Enumerable.Range(0, 16).Select(i => (i * 3) % 40).ToArray();
        int[] targets = ids.Select(i => (i + 5) % 40).ToArray();
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.CrossEntropy(model.Logits(new Tokens(ids, 2, 8)), new Labels(targets))[0];

        GradientTests.Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "idx", ids }, { "targets", targets } });
    }
}
