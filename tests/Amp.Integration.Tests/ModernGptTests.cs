using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// ModernGpt (Arange positions, Split, a broadcast [Batch, 1, T, T] mask through MaskedFill, Transpose of two named
/// dims, a key-padding mask, a for loop over blocks, an output head tied to the embedding): its forward against the
/// FP64 run of the same classes, its gradients against finite differences on Cpu and IlgpuCpu, and BF16 training.
/// </summary>
public sealed class ModernGptTests
{
    public static TheoryData<DeviceKind> Devices => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    private const int Batch = 3;

    /// <summary>Token ids, the causal mask (1 above the diagonal) and a padding mask that pads the last key of sample 1 and the last two of sample 2.</summary>
    private static (int[] Ids, float[] Mask, float[] Padding, int[] Next) Data(int seed)
    {
        var random = new Random(seed);
        int t = ModernGpt.T;
        int[] ids = [.. Enumerable.Range(0, Batch * t).Select(_ => random.Next(ModernGpt.Vocab))];
        float[] mask = [.. Enumerable.Range(0, Batch * t * t).Select(i => (i % t) > ((i / t) % t) ? 1f : 0f)];
        float[] padding = [.. Enumerable.Range(0, Batch * t).Select(i => (i / t == 1 && i % t == t - 1) || (i / t == 2 && i % t >= t - 2) ? 1f : 0f)];
        int[] next = [.. ids.Select(i => (i + 7) % ModernGpt.Vocab)];
        return (ids, mask, padding, next);
    }

    private static Tensor Eager(ModernGpt model, (int[] Ids, float[] Mask, float[] Padding, int[] Next) d) =>
        model.Logits(new Tokens(d.Ids, Batch, ModernGpt.T), Tensor.FromFloats(d.Mask, Batch, 1, ModernGpt.T, ModernGpt.T), Tensor.FromFloats(d.Padding, Batch, ModernGpt.T));

    private static Batch Inputs((int[] Ids, float[] Mask, float[] Padding, int[] Next) d, bool labels) => labels
        ? new Batch { { "idx", d.Ids }, { "mask", d.Mask }, { "padding", d.Padding }, { "next", d.Next } }
        : new Batch { { "idx", d.Ids }, { "mask", d.Mask }, { "padding", d.Padding } };

    [Fact]
    public void The_plan_expands_the_mask_over_the_heads_and_ties_the_head()
    {
        Assert.Contains(ModernGpt.Plan.Ops, op => op.Kind == OpKind.Expand && op.Shape == "[Batch, 4, 6, 6]");
        Assert.Contains(ModernGpt.Plan.Ops, op => op.Kind == OpKind.Arange && op.Shape == "[6]");
        Assert.Contains(ModernGpt.Plan.Ops, op => op.Kind == OpKind.Linear && op.Name == "tokens.attend" && op.Shape == "[Batch, 6, 24]");
        Assert.Equal(3, ModernGpt.Plan.Ops.Count(op => op.Kind == OpKind.Slice && op.Name.StartsWith("blocks.0.", StringComparison.Ordinal)));

        // One parameter for the tied weight: no head.weight, and tokens.weight once.
        var parameters = new Dictionary<string, LayerParameter>();
        new ModernGpt().CollectAmpParameters(string.Empty, parameters);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel compiled = new ModernGpt().Compile(device);
        Assert.Equal(parameters.Keys.Order(), compiled.Parameters.Select(p => p.Name).Order());
        Assert.Single(compiled.Parameters, p => p.Name == "tokens.weight");
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Forward_matches_the_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(31);
        var model = new ModernGpt();
        var data = Data(1);
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device);
        float[] actual = compiled.Forward(Inputs(data, labels: false));
        double[] expected = Eager(model, data).ToArray();
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
        Init.ManualSeed(37);
        var model = new ModernGpt();
        var data = Data(2);
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.CrossEntropy(Eager(model, data), new Labels(data.Next))[0];

        GradientTests.Check(kind, d => model.Compile(d), parameters, Reference, Inputs(data, labels: true));
    }

    [Fact]
    public void Trains_in_bf16_like_fp32()
    {
        Init.ManualSeed(41);
        var model = new ModernGpt();
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var options = new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 1e-2f) };
        using ICompiledModel fp32 = model.Compile(device, Precision.Fp32, options), bf16 = model.Compile(device, Precision.Bf16, options);
        var data = Data(3);
        Batch batch = Inputs(data, labels: true);
        float first = fp32.Evaluate(batch);
        float lastFp32 = 0, lastBf16 = 0;
        for (int step = 0; step < 60; step++)
        {
            lastFp32 = fp32.TrainStep(batch).Loss;
            lastBf16 = bf16.TrainStep(batch).Loss;
        }

        Assert.True(lastFp32 < 0.5f * first, $"FP32 went from {first} to {lastFp32}");
        Assert.True(Math.Abs(lastBf16 - lastFp32) <= 0.1f * lastFp32 + 0.05f, $"BF16 {lastBf16} against FP32 {lastFp32}");
    }
}
