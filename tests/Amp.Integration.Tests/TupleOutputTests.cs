using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>A tuple [Forward] (issue 18): every output against the FP64 run, the typed tuple, gradients through both heads.</summary>
public sealed class TupleOutputTests
{
    public static TheoryData<DeviceKind> Devices => new() { DeviceKind.Cpu, DeviceKind.IlgpuCpu };

    private const int Batch = 4;

    private static float[] X => ForwardTests.Random(Batch * 8, 3);

    private static float[] Target => ForwardTests.Random(Batch * 2, 4);

    private static int[] Y => [0, 2, 1, 2];

    [Theory]
    [MemberData(nameof(Devices))]
    public void Every_output_matches_the_fp64_reference(DeviceKind kind)
    {
        Init.ManualSeed(43);
        var model = new TwoHeads();
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device);
        IReadOnlyList<float[]> actual = compiled.ForwardOutputs(new Batch { { "x", X } });
        (Tensor logits, Tensor value, Tensor hidden) = model.Heads(Tensor.FromFloats(X, Batch, 8));
        Tensor[] expected = [logits, value, hidden];
        Assert.Equal(3, actual.Count);
        for (int k = 0; k < 3; k++)
        {
            ForwardTests.AssertWithin(actual[k], expected[k].ToArray(), 1e-5);
        }

        // Forward(Batch) is the first output.
        Assert.Equal(actual[0], compiled.Forward(new Batch { { "x", X } }));
    }

    [Fact]
    public void The_typed_forward_returns_the_named_tuple_in_every_precision()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var model = new TwoHeads();
        foreach (Precision precision in new[] { Precision.Fp32, Precision.Bf16 })
        {
            using TwoHeads.ICompiled compiled = model.Compile(device, precision, null);
            (float[] logits, float[] value, float[] hidden) = compiled.Forward(X);
            Assert.Equal(Batch * 3, logits.Length);
            Assert.Equal(Batch * 2, value.Length);
            Assert.Equal(Batch * 16, hidden.Length);
            Assert.Equal(compiled.ForwardOutputs(new Batch { { "x", X } })[1], compiled.Forward(X).Value);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Gradients_reach_the_body_from_both_heads(DeviceKind kind)
    {
        Init.ManualSeed(47);
        var model = new TwoHeads();
        var parameters = new Dictionary<string, LayerParameter>();
        model.CollectAmpParameters(string.Empty, parameters);
        double Reference()
        {
            (Tensor logits, Tensor value, Tensor hidden) = model.Heads(Tensor.FromFloats(X, Batch, 8));
            return model.Loss(logits, value, hidden, new Labels(Y), Tensor.FromFloats(Target, Batch, 2))[0];
        }

        GradientTests.Check(kind, d => model.Compile(d), parameters, Reference, new Batch { { "x", X }, { "y", Y }, { "target", Target } });
    }
}
