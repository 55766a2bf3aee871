namespace Amp;

// Expand (NumPy broadcasting of size-1 dimensions): a run of size-1 dimensions repeated, and its backward, the sum over
// the repeats. x [outer, 1, inner] -> y [outer, repeats, inner].
public abstract partial class AmpDevice
{
    /// <summary>y [outer, repeats, inner] = x [outer, inner] repeated along the middle (same precision).</summary>
    public void RepeatMiddle(DeviceTensor x, DeviceTensor y, int outer, int repeats, int inner)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        if (outer <= 0 || repeats <= 0 || inner <= 0 || (long)outer * inner != x.Length || (long)outer * repeats * inner != y.Length || x.Precision != y.Precision)
        {
            throw new ArgumentException($"RepeatMiddle [{outer}, {repeats}, {inner}] does not fit x {x} and y {y} (same precision).", nameof(y));
        }

        RepeatMiddleCore(x, y, outer, repeats, inner);
    }

    private protected abstract void RepeatMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int repeats, int inner);

    /// <summary>The backward of RepeatMiddle: dx [outer, inner] += the sum over the repeats of dy [outer, repeats, inner], in FP32.</summary>
    public void SumMiddleAccumulate(DeviceTensor dy, DeviceTensor dx, int outer, int repeats, int inner)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        if (outer <= 0 || repeats <= 0 || inner <= 0 || (long)outer * inner != dx.Length || (long)outer * repeats * inner != dy.Length)
        {
            throw new ArgumentException($"SumMiddleAccumulate [{outer}, {repeats}, {inner}] does not fit dy {dy} and dx {dx}.", nameof(dx));
        }

        SumMiddleAccumulateCore(dy, dx, outer, repeats, inner);
    }

    private protected abstract void SumMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int repeats, int inner);
}
