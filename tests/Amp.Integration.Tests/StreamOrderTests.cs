using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// ILGPU kernels queued in stream order (the host waits only where it reads or frees) train exactly as kernels waited
/// for one by one: the same losses and the same weights, to the bit. The GPU check runs the same comparison on Cuda.
/// </summary>
public sealed class StreamOrderTests
{
    private static (float[] Losses, float[] Weights) Train(bool streamOrdered)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.IlgpuCpu);
        device.StreamOrdered = streamOrdered;
        Init.ManualSeed(31);
        using TinyGptFp16.Compiled model = new TinyGptFp16().Compile(device);
        int[] tokens = Enumerable.Range(0, 16).Select(i => (i * 3) % 40).ToArray();
        var batch = new Batch { { "idx", tokens }, { "targets", tokens.Select(i => (i + 1) % 40).ToArray() } };
        float[] losses = Enumerable.Range(0, 3).Select(_ => model.TrainStep(batch).Loss).ToArray();
        return (losses, model.Parameters.SelectMany(p => p.ReadMaster()).ToArray());
    }

    [Fact]
    public void Stream_ordered_kernels_train_bit_identically_to_synchronised_ones()
    {
        var waited = Train(streamOrdered: false);
        var ordered = Train(streamOrdered: true);
        Assert.Equal(waited.Losses.Select(BitConverter.SingleToInt32Bits), ordered.Losses.Select(BitConverter.SingleToInt32Bits));
        Assert.True(waited.Weights.AsSpan().SequenceEqual(ordered.Weights), "weights differ in stream order");
    }
}
