namespace Amp;

// Fill: gradient zeroing and the loss seed.
public abstract partial class AmpDevice
{
    /// <summary>t = value everywhere (gradients are zeroed with it).</summary>
    public void Fill(DeviceTensor tensor, float value)
    {
        Owns(tensor, nameof(tensor));
        FillCore(tensor, value);
    }

    private protected abstract void FillCore(DeviceTensor tensor, float value);

    /// <summary>positions[i] = i (FP32, exact to 2^24): the ids of <c>Ops.Arange</c>, an Embedding's positions.</summary>
    public void Arange(DeviceTensor positions)
    {
        Owns(positions, nameof(positions));
        ShapeCheck.Fp32(positions, nameof(positions));
        if (positions.Length > 1 << 24)
        {
            throw new ArgumentException($"Arange counts to at most 2^24 in FP32; {positions} is longer.", nameof(positions));
        }

        ArangeCore(positions);
    }

    private protected abstract void ArangeCore(DeviceTensor positions);
}
