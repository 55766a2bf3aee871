using System.Diagnostics;
using Amp.Data;

namespace Amp.GpuCheck;

/// <summary>The three checks: GEMM against FP64, GEMM throughput, and training on the device against Cpu.</summary>
internal static class Checks
{
    /// <summary>max |C - C64| / sum |a||b| over C for op(A) [m, k], op(B)^T [n, k] (a Linear's layout).</summary>
    public static double GemmError(AmpDevice device, Precision precision, int m, int n, int k)
    {
        var random = new Random(11);
        float[] a = Uniform(random, m * k), b = Uniform(random, n * k);
        using DeviceTensor ta = device.FromHost(a, precision, m, k), tb = device.FromHost(b, precision, n, k), tc = device.Allocate(Precision.Fp32, m, n);
        device.Gemm(ta, tb, tc, new GemmOptions { TransposeB = true });
        float[] c = tc.ToArray(), sa = ta.ToArray(), sb = tb.ToArray();
        double worst = 0;
        var gate = new object();
        Parallel.For(0, m, () => 0.0, (i, _, local) =>
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = (double)sa[(i * k) + p] * sb[(j * k) + p];
                    sum += x;
                    magnitude += Math.Abs(x);
                }

                local = Math.Max(local, Math.Abs(c[(i * n) + j] - sum) / magnitude);
            }

            return local;
        }, local => { lock (gate) { worst = Math.Max(worst, local); } });
        return worst;
    }

    /// <summary>TFLOP/s of size^3 products (the median of five after two warm-ups; Gemm synchronizes).</summary>
    public static double Throughput(AmpDevice device, Precision precision, int size)
    {
        using DeviceTensor a = device.Allocate(precision, size, size), b = device.Allocate(precision, size, size), c = device.Allocate(Precision.Fp32, size, size);
        device.Fill(a, 0.5f);
        device.Fill(b, 0.25f);
        var options = new GemmOptions { TransposeB = true };
        device.Gemm(a, b, c, options);
        device.Gemm(a, b, c, options);
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            device.Gemm(a, b, c, options);
            times.Add(clock.Elapsed.TotalSeconds);
        }

        times.Sort();
        return 2.0 * size * size * size / times[2] / 1e12;
    }

    /// <summary>Training losses of the BF16 check model over <paramref name="steps"/> steps (same seed, same batches).</summary>
    public static float[] Train(AmpDevice device, int steps, int batch)
    {
        Init.ManualSeed(5);
        using CheckMlp.Compiled model = new CheckMlp().Compile(device, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 1e-3f) });
        var random = new Random(3);
        float[] centres = Uniform(random, 16 * 256);
        var losses = new float[steps];
        for (int s = 0; s < steps; s++)
        {
            var x = new float[batch * 256];
            var y = new int[batch];
            for (int i = 0; i < batch; i++)
            {
                y[i] = random.Next(16);
                for (int j = 0; j < 256; j++)
                {
                    x[(i * 256) + j] = centres[(y[i] * 256) + j] + (float)(4 * ((random.NextDouble() * 2) - 1));
                }
            }

            losses[s] = model.TrainStep(new Batch { { "x", x }, { "y", y } }).Loss;
        }

        return losses;
    }

    private static float[] Uniform(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
