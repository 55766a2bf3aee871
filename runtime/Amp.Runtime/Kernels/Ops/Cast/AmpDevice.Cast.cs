namespace Amp;

// Casts between storage precisions (round to nearest even).
public abstract partial class AmpDevice
{
    /// <summary>destination = source converted to destination's precision (round to nearest even).</summary>
    public void Cast(DeviceTensor source, DeviceTensor destination)
    {
        Owns(source, nameof(source));
        Owns(destination, nameof(destination));
        ShapeCheck.Same(source, destination, nameof(destination));
        CastCore(source, destination);
    }

    private protected abstract void CastCore(DeviceTensor source, DeviceTensor destination);
}
