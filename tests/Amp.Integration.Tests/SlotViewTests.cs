using Amp;
using Amp.Compilation;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// The memory plan shares a slot between tensors of different sizes, so a tensor is often a view of the first
/// elements of a longer allocation. Every kernel must then stay inside its tensor's length. Here every slot is
/// allocated longer than its tensor and the rest is filled with NaN: a kernel that reads by the array's length, or
/// reads an output before writing it, turns the loss, a gradient or the forward output into NaN or changes a bit.
/// </summary>
public sealed class SlotViewTests
{
    public static TheoryData<DeviceKind, string> Cases()
    {
        var cases = new TheoryData<DeviceKind, string>();
        foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu })
        {
            foreach (string model in new[] { "EveryOp", "TinyGpt", "TinyGptFp16", "ClassifierFp16", "GptBlockFp32", "DeepGptBf16", "SmallCnnBf16", "DropoutMlp" })
            {
                cases.Add(kind, model);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernels_read_and_write_only_their_tensor_inside_a_longer_slot(DeviceKind kind, string model)
    {
        using AmpDevice device = AmpDevice.Create(kind);
        (Func<ICompiledModel> compile, Batch batch, Batch input) = Case(model, device);
        var (loss, gradients, output) = Run(compile(), batch, input, slack: 0);
        var (slackLoss, slackGradients, slackOutput) = Run(compile(), batch, input, slack: 37);

        Assert.False(float.IsNaN(loss));
        Assert.Equal(BitConverter.SingleToInt32Bits(loss), BitConverter.SingleToInt32Bits(slackLoss));
        foreach ((string name, float[] values) in gradients)
        {
            int at = Enumerable.Range(0, values.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(slackGradients[name][i]), -1);
            Assert.True(at < 0, $"{model} on {kind}: the gradient of {name} changed inside a longer slot: [{at}] {(at < 0 ? 0 : values[at])} became {(at < 0 ? 0 : slackGradients[name][at])}");
        }

        Assert.True(output.AsSpan().SequenceEqual(slackOutput), $"{model} on {kind}: the forward output changed inside a longer slot");
    }

    private static (float Loss, Dictionary<string, float[]> Gradients, float[] Output) Run(ICompiledModel model, Batch batch, Batch input, int slack)
    {
        using (model)
        {
            ((CompiledModel)model).SlotSlack = slack;
            float loss = model.ComputeGradients(batch);
            var gradients = model.Parameters.ToDictionary(p => p.Name, p => p.ReadGradient());
            return (loss, gradients, model.Forward(input));
        }
    }

    private static (Func<ICompiledModel> Compile, Batch Batch, Batch Input) Case(string model, AmpDevice device)
    {
        int[] tokens = Enumerable.Range(0, 16).Select(i => (i * 7) % 40).ToArray(), targets = tokens.Select(i => (i + 3) % 40).ToArray();
        Func<ICompiledModel> Seeded(Func<ICompiledModel> compile) => () =>
        {
            Init.ManualSeed(21);
            return compile();
        };

        switch (model)
        {
            case "EveryOp":
                int[] ids = [1, 7, 49, 3, 0, 22, 22, 8];
                float[] x = Data.Gaussian(2 * 4 * 16, seed: 2);
                return (Seeded(() => new EveryOp().Compile(device)), new Batch { { "ids", ids }, { "x", x }, { "target", new[] { 0.5f, -1.5f } } },
                    new Batch { { "ids", ids }, { "x", x } });
            case "TinyGpt":
                return (Seeded(() => new TinyGpt().Compile(device)), new Batch { { "idx", tokens }, { "targets", targets } }, new Batch { { "idx", tokens } });
            case "TinyGptFp16":
                return (Seeded(() => new TinyGptFp16().Compile(device)), new Batch { { "idx", tokens }, { "targets", targets } }, new Batch { { "idx", tokens } });
            case "SmallCnnBf16":
                float[] images = Data.Gaussian(3 * 144, seed: 9);
                return (Seeded(() => new SmallCnn().Compile(device)), new Batch { { "image", images }, { "label", new[] { 1, 4, 0 } } }, new Batch { { "image", images } });
            case "DropoutMlp":
                float[] rows = Data.Gaussian(5 * 6, seed: 10);
                return (Seeded(() => new DropoutMlp().Compile(device, Precision.Bf16)), new Batch { { "x", rows }, { "y", new[] { 0, 1, 2, 1, 0 } } }, new Batch { { "x", rows } });
            case "DeepGptBf16":
                return (Seeded(() => new DeepGpt().Compile(device, Precision.Bf16)), new Batch { { "idx", tokens }, { "targets", targets } }, new Batch { { "idx", tokens } });
            case "ClassifierFp16":
                float[] features = Data.Gaussian(4 * 64, seed: 1);
                return (Seeded(() => new ClassifierFp16().Compile(device)), new Batch { { "x", features }, { "y", new[] { 3, 0, 9, 5 } } },
                    new Batch { { "x", features } });
            default:
                float[] sequence = Data.Gaussian(64 * 128, seed: 4, scale: 0.5f);
                return (Seeded(() => new GptBlockFp32().Compile(device)), new Batch { { "x", sequence }, { "target", Data.Gaussian(64 * 128, seed: 5) } },
                    new Batch { { "x", sequence } });
        }
    }
}
