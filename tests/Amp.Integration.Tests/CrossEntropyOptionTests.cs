using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// CrossEntropy's PyTorch options at the model's edge: the default ignore_index -100 is accepted by the binder and skipped
/// (the mean over the other rows), any other out-of-range label is still refused, and a batch with every row ignored gives
/// NaN as PyTorch's 0 / 0.
/// </summary>
public sealed class CrossEntropyOptionTests
{
    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void Labels_at_the_default_ignore_index_are_skipped(DeviceKind kind)
    {
        Init.ManualSeed(41);
        var model = new ClassifierFp32();
        float[] x = Data.Gaussian(6 * 64, seed: 9);
        int[] y = [3, -100, 7, 1, -100, 0];
        using AmpDevice device = AmpDevice.Create(kind);
        using ICompiledModel compiled = model.Compile(device);
        float loss = compiled.Evaluate(new Batch { { "x", x }, { "y", y } });

        double reference = Ops.CrossEntropy(model.Logits(Tensor.FromFloats(x, 6, 64)), new Labels(y))[0];
        int[] kept = [0, 2, 3, 5];
        double byHand = Ops.CrossEntropy(model.Logits(Tensor.FromFloats(kept.SelectMany(r => x.Skip(r * 64).Take(64)).ToArray(), 4, 64)), new Labels(kept.Select(r => y[r]).ToArray()))[0];
        Assert.Equal(byHand, reference, 12);
        Assert.InRange(loss, reference - 1e-4, reference + 1e-4);
    }

    [Fact]
    public void Other_out_of_range_labels_are_refused_and_all_ignored_is_nan()
    {
        Init.ManualSeed(41);
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel compiled = new ClassifierFp32().Compile(device);
        float[] x = Data.Gaussian(2 * 64, seed: 9);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => compiled.Evaluate(new Batch { { "x", x }, { "y", new[] { 1, -1 } } }));
        Assert.Contains("not the ignored -100", error.Message);
        Assert.True(float.IsNaN(compiled.Evaluate(new Batch { { "x", x }, { "y", new[] { -100, -100 } } })));
    }
}
