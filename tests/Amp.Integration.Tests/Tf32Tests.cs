using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// <c>[Autocast(.., Tf32 = true)]</c>: the plan marks every FP32 product TF32 (and nothing else), the products really
/// round their operands (Cpu and IlgpuCpu agree), gradients stay within TF32's precision of FP32, and a model trained
/// in TF32 ends within 1 % of FP32.
/// </summary>
public sealed class Tf32Tests
{
    private const double Tf32Unit = 1.0 / 2048;   // 2^-11: TF32 unit roundoff (10 stored mantissa bits)

    [Fact]
    public void The_plan_marks_the_fp32_products_and_only_them()
    {
        Assert.True(ClassifierTf32.Plan.Tf32);
        Assert.False(ClassifierFp32.Plan.Tf32);
        Assert.All(ClassifierTf32.Plan.Ops.Where(op => op.Kind == OpKind.Linear), op =>
        {
            Assert.True(op.Tf32);
            Assert.Equal("TF32", op.ComputeName);
            Assert.Contains("TF32", op.Reason);
        });
        Assert.All(ClassifierTf32.Plan.Ops.Where(op => op.Kind != OpKind.Linear), op => Assert.False(op.Tf32));

        // In a BF16 plan only the [KeepFp32] head computes in FP32, so only it rounds to TF32.
        PlannedOp fc1 = KeptHeadTf32.Plan.Ops.Single(op => op.Name == "fc1"), fc2 = KeptHeadTf32.Plan.Ops.Single(op => op.Name == "fc2");
        Assert.False(fc1.Tf32);
        Assert.Equal(Precision.Bf16, fc1.Compute);
        Assert.True(fc2.Tf32);
        Assert.Contains("fc2 Linear compute TF32", KeptHeadTf32.Plan.ToString());
        Assert.True(AttentionTf32.Plan.Ops.Single(op => op.Kind == OpKind.Attention).Tf32);
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Gradients_differ_from_fp32_by_tf32_rounding_only(DeviceKind kind)
    {
        var batch = new Batch { { "x", Data.Gaussian(16 * 64, seed: 5) }, { "y", Enumerable.Range(0, 16).Select(i => i % 10).ToArray() } };
        using AmpDevice device = AmpDevice.Create(kind);
        Init.ManualSeed(77);
        using ICompiledModel fp32 = new ClassifierFp32().Compile(device);
        Init.ManualSeed(77);
        using ICompiledModel tf32 = new ClassifierTf32().Compile(device);
        float lossFp32 = fp32.ComputeGradients(batch), lossTf32 = tf32.ComputeGradients(batch);
        Assert.NotEqual(lossFp32, lossTf32);   // the operands were rounded
        Assert.True(Math.Abs(lossTf32 - lossFp32) <= 8 * Tf32Unit * lossFp32, $"loss {lossTf32} vs FP32 {lossFp32}");
        foreach (IParameter p in tf32.Parameters)
        {
            float[] g = p.ReadGradient(), r = fp32.Parameters.Single(q => q.Name == p.Name).ReadGradient();
            double error = Math.Sqrt(g.Zip(r, (a, b) => (double)(a - b) * (a - b)).Sum());
            double norm = Math.Sqrt(r.Sum(v => (double)v * v));
            Assert.True(error > 0, $"{p.Name}: TF32 changed nothing");
            Assert.True(error <= 8 * Tf32Unit * norm, $"{p.Name}: |g_tf32 - g_fp32| = {error:E3}, bound 8u|g| = {8 * Tf32Unit * norm:E3}");
        }
    }

    [Fact]
    public void Cpu_and_ilgpu_emulate_the_same_tf32_products()
    {
        var batch = new Batch { { "x", Data.Gaussian(4 * 8 * 16, seed: 6) }, { "target", Data.Gaussian(4 * 8 * 16, seed: 7) } };
        float[] Run(DeviceKind kind, out Dictionary<string, float[]> gradients)
        {
            using AmpDevice device = AmpDevice.Create(kind);
            Init.ManualSeed(5);
            using ICompiledModel model = new AttentionTf32().Compile(device);
            model.ComputeGradients(batch);
            gradients = model.Parameters.ToDictionary(p => p.Name, p => p.ReadGradient());
            return model.Forward(batch);
        }

        float[] cpu = Run(DeviceKind.Cpu, out var gCpu), ilgpu = Run(DeviceKind.IlgpuCpu, out var gIlgpu);
        // Same rounded operands, FP32 sums in different orders: agreement to FP32 accumulation error, far below TF32's.
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.True(Math.Abs(cpu[i] - ilgpu[i]) <= 1e-5 * (1 + Math.Abs(cpu[i])), $"output {i}: {cpu[i]} vs {ilgpu[i]}");
        }

        foreach ((string name, float[] g) in gCpu)
        {
            double scale = g.Max(v => Math.Abs((double)v)) + 1e-12;
            Assert.All(g.Zip(gIlgpu[name]), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-5 * scale, $"{name}: {pair.First} vs {pair.Second}"));
        }
    }

    /// <summary>The seed's promise for TF32: FP32-quality training. Same weights, same batches: within 1 % of FP32.</summary>
    [Fact]
    public void Trains_within_one_percent_of_fp32()
    {
        var task = new ClusterTask(seed: 21);
        float Train(bool tf32)
        {
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            var options = new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 2e-3f) };
            Init.ManualSeed(77);
            using ICompiledModel model = tf32 ? new ClassifierTf32().Compile(device, options) : new ClassifierFp32().Compile(device, options);
            for (int step = 0; step < 150; step++)
            {
                model.TrainStep(task.Batch(step));
            }

            return model.Evaluate(task.Batch(10_000));
        }

        float fp32 = Train(tf32: false), tf32 = Train(tf32: true);
        Assert.True(fp32 < 0.5f * MathF.Log(10), $"FP32 did not learn: {fp32}");
        Assert.True(Math.Abs(tf32 - fp32) <= 0.01f * fp32, $"TF32 {tf32} vs FP32 {fp32}");
    }
}
