using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// End to end: each generated model compiled on Cpu and IlgpuCpu against its own definition run eagerly in FP64.
/// The bound follows from the plan: every stored rounding in the lowest precision u of the plan adds at most u
/// relative error, amplified by the layers that follow; we allow 4u per planned op on a scale of 1 + max|ref|
/// (FP32 plans: u = 2^-24, so the bound there is set by FP32 accumulation and the vector exp instead).
/// </summary>
public sealed class ForwardTests
{
    public static TheoryData<DeviceKind> Devices => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    [Theory]
    [MemberData(nameof(Devices))]
    public void Classifier_bf16_matches_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(1);
        var model = new Classifier();
        CheckForward(kind, d => model.Compile(d), x => model.Logits(x), Classifier.Plan, new[] { 64 }, batch: 5);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Classifier_fp16_matches_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(2);
        var model = new ClassifierFp16();
        CheckForward(kind, d => model.Compile(d), x => model.Logits(x), ClassifierFp16.Plan, new[] { 64 }, batch: 5);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Classifier_fp32_matches_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(3);
        var model = new ClassifierFp32();
        CheckForward(kind, d => model.Compile(d), x => model.Logits(x), ClassifierFp32.Plan, new[] { 64 }, batch: 5);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Classifier_loss_matches_fp64_cross_entropy(DeviceKind kind)
    {
        Init.ManualSeed(4);
        var model = new ClassifierFp32();
        float[] x = Random(3 * 64, 5);
        int[] y = [1, 7, 9];
        using AmpDevice device = AmpDevice.Create(kind);
        using ClassifierFp32.Compiled compiled = model.Compile(device);
        float loss = compiled.Evaluate(new Batch { { "x", x }, { "y", y } });
        double reference = Ops.CrossEntropy(model.Logits(Tensor.FromFloats(x, 3, 64)), new Labels(y))[0];
        Assert.InRange(loss, reference - 1e-4, reference + 1e-4);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void TinyGpt_with_block_array_matches_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(5);
        var model = new TinyGpt();
        int batch = 2;
        int[] ids = Enumerable.Range(0, batch * 8).Select(i => (i * 7) % 40).ToArray();
        using AmpDevice device = AmpDevice.Create(kind);
        using TinyGpt.Compiled compiled = model.Compile(device);
        float[] actual = compiled.Forward(new Batch { { "idx", ids } });
        double[] expected = model.Logits(new Tokens(ids, batch, 8)).ToArray();
        AssertWithin(actual, expected, Bound(TinyGpt.Plan, expected));

        int[] targets = ids.Select(i => (i + 1) % 40).ToArray();
        float loss = compiled.Evaluate(new Batch { { "idx", ids }, { "targets", targets } });
        double lossReference = Ops.CrossEntropy(model.Logits(new Tokens(ids, batch, 8)), new Labels(targets))[0];
        Assert.InRange(loss, lossReference - (0.05 * lossReference), lossReference + (0.05 * lossReference));
    }

    [Fact]
    public void Parameters_carry_pytorch_names_and_shapes()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using TinyGpt.Compiled compiled = new TinyGpt().Compile(device);
        string[] names = compiled.Parameters.Select(p => p.Name).ToArray();
        Assert.Equal("wte.weight", names[0]);
        Assert.Contains("blocks.1.attn.q.weight", names);
        Assert.Equal("head.weight", names[^1]);
        Assert.Equal(new[] { 40, 32 }, compiled.Parameters[^1].Shape);
    }

    [Fact]
    public void WriteMaster_refreshes_the_working_copies()
    {
        Init.ManualSeed(6);
        var model = new Classifier();
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using Classifier.Compiled compiled = model.Compile(device);
        var batch = new Batch { { "x", Random(64, 8) } };
        float[] before = compiled.Forward(batch);
        IParameter bias = compiled.Parameters.Single(p => p.Name == "fc2.bias");
        bias.WriteMaster(bias.ReadMaster().Select(v => v + 1f).ToArray());
        float[] after = compiled.Forward(batch);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.InRange(after[i] - before[i], 0.99f, 1.01f);
        }
    }

    private static void CheckForward(DeviceKind kind, Func<AmpDevice, ICompiledModel> compile, Func<Tensor, Tensor> eager, ModelPlan plan, int[] sample, int batch)
    {
        float[] x = Random(batch * sample.Aggregate(1, (a, b) => a * b), 42);
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = compile(device);
        float[] actual = compiled.Forward(new Batch { { "x", x } });
        double[] expected = eager(Tensor.FromFloats(x, [batch, .. sample])).ToArray();
        AssertWithin(actual, expected, Bound(plan, expected));
    }

    /// <summary>4u per planned op, on the scale 1 + max|reference|; u the unit roundoff of the plan's lowest precision (at least 2^-20 for FP32 plans).</summary>
    internal static double Bound(ModelPlan plan, double[] reference)
    {
        double u = plan.Ops.Select(op => op.Output.UnitRoundoff()).Append(Math.Pow(2, -20)).Max();
        return 4 * plan.Ops.Count * u * (1 + reference.Max(Math.Abs));
    }

    internal static void AssertWithin(float[] actual, double[] expected, double bound)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst <= bound, $"max |error| {worst:E3} exceeds the bound {bound:E3}");
    }

    internal static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
    }
}
