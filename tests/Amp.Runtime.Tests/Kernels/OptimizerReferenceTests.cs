namespace Amp.Tests.Kernels;

/// <summary>
/// Optimizer steps against PyTorch's formulas evaluated in FP64. Each step does a handful of FP32
/// operations per element, so after s steps the error is a few ulps per operation: we allow
/// 16 * s * u * (|p| + lr-scaled update magnitude) with u = 2^-24.
/// </summary>
public class OptimizerReferenceTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    private const double U = 5.9604644775390625e-8;

    [Theory]
    [InlineData(DeviceKind.Cpu, false)]
    [InlineData(DeviceKind.Cpu, true)]
    [InlineData(DeviceKind.IlgpuCpu, false)]
    public void Sgd_with_momentum_and_weight_decay_matches_fp64(DeviceKind kind, bool nesterov)
    {
        AmpDevice device = devices.Get(kind);
        const int n = 301, steps = 5;
        var h = new SgdHyperparameters(0.05f, Momentum: 0.9f, Dampening: 0f, WeightDecay: 0.01f, Nesterov: nesterov);
        float[] p0 = TestData.Uniform(n, 1);
        double[] p = p0.Select(x => (double)x).ToArray(), buf = new double[n];
        using DeviceTensor pt = device.FromHost(p0, Precision.Fp32, n);
        using DeviceTensor gt = device.Allocate(Precision.Fp32, n);
        using DeviceTensor bt = device.Allocate(Precision.Fp32, n);
        for (int step = 1; step <= steps; step++)
        {
            float[] g = TestData.Uniform(n, 100 + step, 0.5f);
            gt.CopyFrom(g);
            device.SgdStep(pt, gt, bt, null, h, step);
            for (int i = 0; i < n; i++)
            {
                double d = g[i] + (h.WeightDecay * p[i]);
                buf[i] = step == 1 ? d : (h.Momentum * buf[i]) + ((1 - h.Dampening) * d);
                d = nesterov ? d + (h.Momentum * buf[i]) : buf[i];
                p[i] -= h.LearningRate * d;
            }
        }

        float[] actual = pt.ToArray();
        for (int i = 0; i < n; i++)
        {
            double bound = 16 * steps * U * (Math.Abs(p[i]) + (h.LearningRate * 10));
            Assert.True(Math.Abs(actual[i] - p[i]) <= bound, $"p[{i}] {actual[i]} vs {p[i]}");
        }
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void AdamW_with_bias_correction_matches_fp64(DeviceKind kind)
    {
        AmpDevice device = devices.Get(kind);
        const int n = 257, steps = 6;
        var h = new AdamWHyperparameters(LearningRate: 1e-2f, Beta1: 0.9f, Beta2: 0.999f, Epsilon: 1e-8f, WeightDecay: 0.1f);
        float[] p0 = TestData.Uniform(n, 9);
        double[] p = p0.Select(x => (double)x).ToArray(), m = new double[n], v = new double[n];
        using DeviceTensor pt = device.FromHost(p0, Precision.Fp32, n);
        using DeviceTensor gt = device.Allocate(Precision.Fp32, n);
        using DeviceTensor mt = device.Allocate(Precision.Fp32, n);
        using DeviceTensor vt = device.Allocate(Precision.Fp32, n);
        using DeviceTensor working = device.Allocate(Precision.Bf16, n);
        for (int step = 1; step <= steps; step++)
        {
            float[] g = TestData.Uniform(n, 200 + step, 0.3f);
            gt.CopyFrom(g);
            device.AdamWStep(pt, gt, mt, vt, working, h, step);
            double bc1 = 1 - Math.Pow(h.Beta1, step), bc2 = 1 - Math.Pow(h.Beta2, step);
            for (int i = 0; i < n; i++)
            {
                p[i] *= 1 - (h.LearningRate * h.WeightDecay);
                m[i] = (h.Beta1 * m[i]) + ((1 - h.Beta1) * g[i]);
                v[i] = (h.Beta2 * v[i]) + ((1 - h.Beta2) * g[i] * g[i]);
                p[i] -= h.LearningRate / bc1 * m[i] / ((Math.Sqrt(v[i]) / Math.Sqrt(bc2)) + h.Epsilon);
            }
        }

        float[] actual = pt.ToArray(), w = working.ToArray();
        for (int i = 0; i < n; i++)
        {
            // Adam's normalised update is at most about lr per step in magnitude.
            double bound = 16 * steps * U * (Math.Abs(p[i]) + (h.LearningRate * 4));
            Assert.True(Math.Abs(actual[i] - p[i]) <= bound, $"p[{i}] {actual[i]} vs {p[i]}");
            Assert.Equal(Bf16.FromFloat(actual[i]).ToFloat(), w[i]);
        }
    }

    [Fact]
    public void Optimizers_refuse_half_master_weights_and_mismatched_state()
    {
        AmpDevice device = devices.Cpu;
        using DeviceTensor halfMaster = device.Allocate(Precision.Fp16, 8);
        using DeviceTensor g = device.Allocate(Precision.Fp32, 8);
        using DeviceTensor m = device.Allocate(Precision.Fp32, 8);
        using DeviceTensor shortV = device.Allocate(Precision.Fp32, 7);
        var ex = Assert.Throws<ArgumentException>(() => device.AdamWStep(halfMaster, g, m, m, null, new AdamWHyperparameters(), 1));
        Assert.Equal("master", ex.ParamName);
        using DeviceTensor p = device.Allocate(Precision.Fp32, 8);
        var shape = Assert.Throws<ArgumentException>(() => device.AdamWStep(p, g, m, shortV, null, new AdamWHyperparameters(), 1));
        Assert.Equal("secondMoment", shape.ParamName);
        Assert.Contains("[7]", shape.Message);
        Assert.Contains("[8]", shape.Message);
        Assert.Throws<ArgumentNullException>(() => device.SgdStep(p, g, null, null, new SgdHyperparameters(0.1f, Momentum: 0.9f), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.SgdStep(p, g, null, null, new SgdHyperparameters(0.1f), 0));
    }
}
