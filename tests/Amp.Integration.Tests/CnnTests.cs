using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>A CNN (Conv2d, pooling, Flatten) compiled and trained: FP32 against the FP64 reference, AMP against FP32, uniform products.</summary>
public sealed class CnnTests
{
    /// <summary>12x12 noise with a bright 3x3 patch at one of five places (four quadrants and the centre); the label is the place.</summary>
    private static Batch Images(int batch, int seed)
    {
        float[] pixels = Data.Gaussian(batch * 144, seed: seed, scale: 0.3f);
        int[] labels = new int[batch];
        (int Row, int Col)[] places = [(2, 2), (2, 7), (7, 2), (7, 7), (4, 5)];
        var random = new Random(seed);
        for (int b = 0; b < batch; b++)
        {
            labels[b] = random.Next(5);
            (int row, int col) = places[labels[b]];
            for (int u = 0; u < 3; u++)
            {
                for (int v = 0; v < 3; v++)
                {
                    pixels[(b * 144) + ((row + u) * 12) + col + v] += 2f;
                }
            }
        }

        return new Batch { { "image", pixels }, { "label", labels } };
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Fp32_forward_matches_the_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(4);
        var model = new SmallCnn();
        float[] pixels = Data.Gaussian(3 * 144, seed: 5);
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device, Precision.Fp32);
        float[] actual = compiled.Forward(new Batch { { "image", pixels } });
        double[] expected = model.Logits(Tensor.FromFloats(pixels, 3, 1, 12, 12)).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Fp16)]
    public void Amp_gradients_stay_close_to_fp32(Precision precision)
    {
        Batch batch = Images(8, seed: 6);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Dictionary<string, float[]> Run(Precision p)
        {
            Init.ManualSeed(7);
            using ICompiledModel m = new SmallCnn().Compile(device, p);
            m.ComputeGradients(batch);
            return m.Parameters.ToDictionary(q => q.Name, q => q.ReadGradient());
        }

        var reference = Run(Precision.Fp32);
        var amp = Run(precision);
        double unit = precision == Precision.Bf16 ? Math.Pow(2, -8) : Math.Pow(2, -11);
        var report = new List<string>();
        bool ok = true;
        foreach ((string name, float[] g) in amp)
        {
            double error = Math.Sqrt(g.Zip(reference[name], (a, b) => (double)(a - b) * (a - b)).Sum());
            double norm = Math.Sqrt(reference[name].Sum(v => (double)v * v));
            report.Add($"{name}: {error / norm:P2}");
            // BF16's 8 bits make ties within a max-pooling window (and ReLU's zero) far likelier than FP16's 11: a tie sends
            // the gradient to another pixel, a discrete change no rounding bound covers. Measured: BF16 conv 3.4-6.7 %,
            // head <= 0.5 %; FP16 <= 0.12 % everywhere.
            ok &= error <= (precision == Precision.Bf16 ? 0.10 : 16 * unit) * norm;
        }

        Assert.True(ok, string.Join("; ", report));
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Every_product_of_a_bf16_cnn_step_reads_uniform_operands(DeviceKind kind)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        var products = new List<(Precision A, Precision B)>();
        using ICompiledModel model = new SmallCnn().Compile(device);
        device.GemmObserver = (a, b, _) => products.Add((a, b));
        model.TrainStep(Images(4, seed: 8));
        device.GemmObserver = null;
        Assert.NotEmpty(products);
        Assert.All(products, p => Assert.Equal(p.A, p.B));
    }

    [Fact]
    public void A_bf16_cnn_trains_like_fp32()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        float Train(Precision p)
        {
            Init.ManualSeed(11);
            using ICompiledModel m = new SmallCnn().Compile(device, p, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 3e-3f) });
            float loss = 0;
            for (int step = 0; step < 40; step++)
            {
                loss = m.TrainStep(Images(16, seed: 100 + (step % 4))).Loss;
            }

            return loss;
        }

        float fp32 = Train(Precision.Fp32), bf16 = Train(Precision.Bf16);
        Assert.True(fp32 < 1.5f, $"FP32 loss {fp32}");
        Assert.True(Math.Abs(bf16 - fp32) <= 0.05 * fp32, $"BF16 {bf16} vs FP32 {fp32}");
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Grouped_and_depthwise_convolutions_match_the_fp64_reference_and_train(DeviceKind kind)
    {
        Init.ManualSeed(21);
        var model = new SeparableCnn();
        float[] pixels = Data.Gaussian(3 * 144, seed: 22);
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device, Precision.Fp32);
        Assert.Equal([4, 1, 3, 3], compiled.Parameters.Single(p => p.Name == "depthwise.weight").Shape);
        Assert.Equal([8, 4, 3, 3], compiled.Parameters.Single(p => p.Name == "grouped.weight").Shape);
        float[] actual = compiled.Forward(new Batch { { "image", pixels } });
        double[] expected = model.Logits(Tensor.FromFloats(pixels, 3, 1, 12, 12)).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
        }

        if (kind != DeviceKind.Cpu)
        {
            return;
        }

        // BF16 from the same weights: every product uniform, and it learns the patches as FP32 does.
        float first = 0;
        float Train(Precision p)
        {
            Init.ManualSeed(23);
            using ICompiledModel m = new SeparableCnn().Compile(device, p, new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 1e-2f) });
            var products = new List<(Precision A, Precision B)>();
            device.GemmObserver = (a, b, _) => products.Add((a, b));
            float loss = 0;
            for (int step = 0; step < 40; step++)
            {
                loss = m.TrainStep(Images(16, seed: 200 + (step % 4))).Loss;
                first = step == 0 ? loss : first;
            }

            device.GemmObserver = null;
            Assert.All(products, q => Assert.Equal(q.A, q.B));
            return loss;
        }

        float fp32 = Train(Precision.Fp32), bf16 = Train(Precision.Bf16);
        Assert.True(fp32 < 0.7f * first, $"FP32 loss {fp32}, first {first}");
        Assert.True(Math.Abs(bf16 - fp32) <= (0.1 * fp32) + 0.02, $"BF16 {bf16} vs FP32 {fp32}");
    }
}
