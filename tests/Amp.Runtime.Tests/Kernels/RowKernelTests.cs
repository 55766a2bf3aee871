namespace Amp.Tests.Kernels;

/// <summary>
/// Row kernels against FP64 on the stored inputs. Bounds: an n-term FP32 sum errs by at most
/// gamma_n * sum|x| (gamma_n ~ n u, u = 2^-24); softmax adds exp's error (the Cpu exp is within 2 ulp,
/// the simulator uses MathF.Exp) and one division: we allow (n + 8) u relative, plus the output
/// rounding u_out of a low-precision y.
/// </summary>
public class RowKernelTests(DeviceFixture devices) : IClassFixture<DeviceFixture>
{
    private const double U = 5.9604644775390625e-8;   // 2^-24

    public static TheoryData<DeviceKind, Precision, Precision> Cases()
    {
        var data = new TheoryData<DeviceKind, Precision, Precision>();
        foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu })
        {
            foreach (Precision x in Enum.GetValues<Precision>())
            {
                data.Add(kind, x, Precision.Fp32);
                if (x != Precision.Fp32)
                {
                    // FP32 -> FP32 is the row above: one case, not two with one ID (xUnit skipped the second).
                    data.Add(kind, x, x);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Row_sum_and_max_match_fp64(DeviceKind kind, Precision px, Precision pr)
    {
        AmpDevice device = devices.Get(kind);
        const int rows = 7, cols = 77;
        float[] xv = TestData.Uniform(rows * cols, 3, 4f);
        double[] x = TestData.Stored(xv, px);
        using DeviceTensor xt = device.FromHost(xv, px, rows, cols);
        using DeviceTensor sum = device.Allocate(pr, rows);
        using DeviceTensor max = device.Allocate(pr, rows);
        device.RowSum(xt, sum);
        device.RowMax(xt, max);
        float[] s = sum.ToArray(), m = max.ToArray();
        double uOut = pr == Precision.Fp32 ? 0 : pr.UnitRoundoff();
        for (int r = 0; r < rows; r++)
        {
            ArraySegment<double> row = new(x, r * cols, cols);
            double exact = row.Sum();
            double bound = (cols * U * row.Sum(Math.Abs)) + (uOut * Math.Abs(exact)) + 1e-30;
            Assert.True(Math.Abs(s[r] - exact) <= bound, $"row {r}: sum {s[r]} vs {exact}");
            Assert.Equal(TestData.Stored([(float)row.Max()], pr)[0], m[r]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_and_log_softmax_match_fp64(DeviceKind kind, Precision px, Precision py)
    {
        AmpDevice device = devices.Get(kind);
        const int rows = 5, cols = 131;
        float[] xv = TestData.Uniform(rows * cols, 8, 12f);
        xv[3] = 80f;   // a large logit: only max subtraction keeps exp finite
        double[] x = TestData.Stored(xv, px);
        using DeviceTensor xt = device.FromHost(xv, px, rows, cols);
        using DeviceTensor y = device.Allocate(py, rows, cols);
        using DeviceTensor logY = device.Allocate(py, rows, cols);
        device.Softmax(xt, y);
        device.LogSoftmax(xt, logY);
        float[] sv = y.ToArray(), lv = logY.ToArray();
        double uOut = py == Precision.Fp32 ? 0 : py.UnitRoundoff();
        double underflow = py == Precision.Fp16 ? Math.Pow(2, -25) : 1e-37;   // half the output's smallest subnormal
        for (int r = 0; r < rows; r++)
        {
            double max = Enumerable.Range(0, cols).Max(k => x[(r * cols) + k]);
            double z = Enumerable.Range(0, cols).Sum(k => Math.Exp(x[(r * cols) + k] - max));
            for (int k = 0; k < cols; k++)
            {
                int i = (r * cols) + k;
                double p = Math.Exp(x[i] - max) / z;
                double logp = x[i] - max - Math.Log(z);
                Assert.True(Math.Abs(sv[i] - p) <= ((cols + 8) * U * p) + (uOut * p) + underflow, $"softmax[{r},{k}] {sv[i]} vs {p}");
                double logBound = ((cols + 8) * U * (Math.Abs(max) + Math.Abs(Math.Log(z)) + Math.Abs(x[i]))) + (uOut * Math.Abs(logp));
                Assert.True(Math.Abs(lv[i] - logp) <= logBound, $"log_softmax[{r},{k}] {lv[i]} vs {logp}");
            }
        }
    }

    [Theory]
    [InlineData(DeviceKind.Cpu, Precision.Fp32)]
    [InlineData(DeviceKind.Cpu, Precision.Bf16)]
    [InlineData(DeviceKind.IlgpuCpu, Precision.Fp16)]
    [InlineData(DeviceKind.IlgpuCpu, Precision.Fp32)]
    public void Layernorm_and_rmsnorm_statistics_match_fp64(DeviceKind kind, Precision px)
    {
        AmpDevice device = devices.Get(kind);
        const int rows = 6, cols = 96;
        const float eps = 1e-5f;
        float[] xv = TestData.Uniform(rows * cols, 21, 3f).Select(v => v + 10f).ToArray();   // offset mean: the two-pass variance matters
        double[] x = TestData.Stored(xv, px);
        using DeviceTensor xt = device.FromHost(xv, px, 2, 3, cols);
        using DeviceTensor mean = device.Allocate(Precision.Fp32, 2, 3);
        using DeviceTensor rstd = device.Allocate(Precision.Fp32, 2, 3);
        using DeviceTensor rms = device.Allocate(Precision.Fp32, 6);
        device.LayerNormStatistics(xt, mean, rstd, eps);
        device.RmsNormStatistics(xt, rms, eps);
        float[] mv = mean.ToArray(), rv = rstd.ToArray(), qv = rms.ToArray();
        for (int r = 0; r < rows; r++)
        {
            double[] row = x.Skip(r * cols).Take(cols).ToArray();
            double mu = row.Average();
            double variance = row.Sum(v => (v - mu) * (v - mu)) / cols;
            double meanSquare = row.Sum(v => v * v) / cols;
            Assert.True(Math.Abs(mv[r] - mu) <= cols * U * row.Sum(Math.Abs) / cols, $"mean {mv[r]} vs {mu}");
            // The deviations carry the mean's absolute error 2 n u |x|max; relative error of var ~ 4 n u |x|max / sqrt(var).
            double rstdExact = 1 / Math.Sqrt(variance + eps);
            Assert.True(Math.Abs(rv[r] - rstdExact) <= 4 * cols * U * row.Max(Math.Abs) / Math.Sqrt(variance) * rstdExact, $"rstd {rv[r]} vs {rstdExact}");
            double rmsExact = 1 / Math.Sqrt(meanSquare + eps);
            Assert.True(Math.Abs(qv[r] - rmsExact) <= (cols + 4) * U * rmsExact, $"rms rstd {qv[r]} vs {rmsExact}");
        }
    }

    [Fact]
    public void Per_row_outputs_must_have_one_element_per_row()
    {
        using DeviceTensor x = devices.Cpu.Allocate(Precision.Fp32, 4, 10);
        using DeviceTensor wrong = devices.Cpu.Allocate(Precision.Fp32, 5);
        var ex = Assert.Throws<ArgumentException>(() => devices.Cpu.RowSum(x, wrong));
        Assert.Equal("result", ex.ParamName);
        Assert.Contains("[4, 10]", ex.Message);
        Assert.Contains("[5]", ex.Message);
        using DeviceTensor y = devices.Cpu.Allocate(Precision.Fp32, 4, 11);
        Assert.Throws<ArgumentException>(() => devices.Cpu.Softmax(x, y));
        using DeviceTensor halfStats = devices.Cpu.Allocate(Precision.Fp16, 4);
        using DeviceTensor rstd = devices.Cpu.Allocate(Precision.Fp32, 4);
        Assert.Throws<ArgumentException>(() => devices.Cpu.LayerNormStatistics(x, halfStats, rstd, 1e-5f));
    }
}
