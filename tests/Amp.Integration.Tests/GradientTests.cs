using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// The generated FP32 backward pass against central finite differences of the FP64 eager reference (the model's
/// own definition, run directly). h = 1e-3 (max(1, |w|)); the FD truncation error is O(h^2) and FP32 rounding of
/// the generated forward and backward is about 1e-6 relative, so the bound is
/// |g - fd| &lt;= 2e-3 |fd| + 2e-4 max|g of that tensor| + 1e-6. Five sampled entries per weight tensor.
/// </summary>
public sealed class GradientTests
{
    public static TheoryData<DeviceKind> Devices => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    [Theory]
    [MemberData(nameof(Devices))]
    public void Mlp_fp32_gradients_match_finite_differences(DeviceKind kind)
    {
        Init.ManualSeed(11);
        var model = new ClassifierFp32();
        float[] x = Data.Gaussian(4 * 64, seed: 1);
        int[] y = [3, 0, 9, 5];
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.CrossEntropy(model.Logits(Tensor.FromFloats(x, 4, 64)), new Labels(y))[0];
        Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "x", x }, { "y", y } });
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Every_op_fp32_gradients_match_finite_differences(DeviceKind kind)
    {
        Init.ManualSeed(12);
        var model = new EveryOp();
        int[] ids = [1, 7, 49, 3, 0, 22, 22, 8];
        float[] x = Data.Gaussian(2 * 4 * 16, seed: 2);
        float[] target = [0.5f, -1.5f];
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.MseLoss(model.Run(new Tokens(ids, 2, 4), Tensor.FromFloats(x, 2, 4, 16)), Tensor.FromFloats(target, 2))[0];
        Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "ids", ids }, { "x", x }, { "target", target } });
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Gpt_fp32_gradients_match_finite_differences(DeviceKind kind)
    {
        Init.ManualSeed(13);
        var model = new TinyGptFp32();
        int[] ids = Enumerable.Range(0, 16).Select(i => (i * 7) % 40).ToArray();
        int[] targets = ids.Select(i => (i + 3) % 40).ToArray();
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.CrossEntropy(model.Logits(new Tokens(ids, 2, 8)), new Labels(targets))[0];
        Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "idx", ids }, { "targets", targets } });
    }

    /// <summary>Blocks 1-3 run the one body their instances share (each with its own weights and slots): every block's gradients must still be its own.</summary>
    [Theory]
    [MemberData(nameof(Devices))]
    public void Gpt_with_a_shared_block_body_matches_finite_differences(DeviceKind kind)
    {
        Init.ManualSeed(17);
        var model = new DeepGpt();
        int[] ids = Enumerable.Range(0, 16).Select(i => (i * 5) % 40).ToArray();
        int[] targets = ids.Select(i => (i + 7) % 40).ToArray();
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference() => Ops.CrossEntropy(model.Logits(new Tokens(ids, 2, 8)), new Labels(targets))[0];
        Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "idx", ids }, { "targets", targets } });
    }

    internal static void Check(DeviceKind kind, Func<AmpDevice, ICompiledModel> compile, Dictionary<string, LayerParameter> parameters, Func<double> reference, Batch batch)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = compile(device);
        float loss = compiled.ComputeGradients(batch);
        Assert.InRange(loss, reference() - 1e-4 - (1e-5 * Math.Abs(reference())), reference() + 1e-4 + (1e-5 * Math.Abs(reference())));
        var random = new Random(5);
        var failures = new List<string>();
        foreach (IParameter p in compiled.Parameters)
        {
            float[] gradient = p.ReadGradient();
            float[] weights = parameters[p.Name].Values;
            double largest = gradient.Max(Math.Abs);
            for (int sample = 0; sample < 5; sample++)
            {
                int i = random.Next(weights.Length);
                float original = weights[i];
                double h = 1e-3 * Math.Max(1, Math.Abs(original));
                float plus = (float)(original + h), minus = (float)(original - h);
                weights[i] = plus;
                double lossPlus = reference();
                weights[i] = minus;
                double lossMinus = reference();
                weights[i] = original;
                double fd = (lossPlus - lossMinus) / ((double)plus - minus);
                double bound = (2e-3 * Math.Abs(fd)) + (2e-4 * largest) + 1e-6;
                if (Math.Abs(gradient[i] - fd) > bound)
                {
                    failures.Add($"{p.Name}[{i}]: generated {gradient[i]:G6}, finite difference {fd:G6}, bound {bound:G3}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
