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
}
