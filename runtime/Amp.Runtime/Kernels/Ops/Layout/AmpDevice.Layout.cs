namespace Amp;

// Transpose, SplitHeads and MergeHeads: SwapMiddle and its accumulating backward.
public abstract partial class AmpDevice
{
    /// <summary>The backward of SwapMiddle: dx [outer, a, b, inner] += dy [outer, b, a, inner] with the middle axes swapped back.</summary>
    public void SwapMiddleAccumulate(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        long count = (long)outer * a * b * inner;
        if (outer <= 0 || a <= 0 || b <= 0 || inner <= 0 || count != dy.Length || dy.Length != dx.Length)
        {
            throw new ArgumentException($"SwapMiddleAccumulate [{outer}, {b}, {a}, {inner}] does not fit dy {dy} and dx {dx}.", nameof(dx));
        }

        SwapMiddleAccumulateCore(dy, dx, outer, b, a, inner);
    }

    private protected abstract void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner);

    /// <summary>y = x viewed as [outer, a, b, inner] with the middle axes swapped: [outer, b, a, inner] (same precision).</summary>
    public void SwapMiddle(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        long count = (long)outer * a * b * inner;
        if (outer <= 0 || a <= 0 || b <= 0 || inner <= 0 || count != x.Length || x.Length != y.Length || x.Precision != y.Precision)
        {
            throw new ArgumentException($"SwapMiddle [{outer}, {a}, {b}, {inner}] does not fit x {x} and y {y} (same precision and element count).", nameof(y));
        }

        SwapMiddleCore(x, y, outer, a, b, inner);
    }

    private protected abstract void SwapMiddleCore(DeviceTensor x, DeviceTensor y, int outer, int a, int b, int inner);
}
