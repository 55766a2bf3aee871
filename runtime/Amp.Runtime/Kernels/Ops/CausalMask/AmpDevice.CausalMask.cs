namespace Amp;

// CausalMask: -inf above the diagonal, and its backward (zero gradient where masked).
public abstract partial class AmpDevice
{
    /// <summary>The backward of CausalMask: dx += dy below and on the diagonal (masked scores get no gradient).</summary>
    public void CausalMaskBackward(DeviceTensor dy, DeviceTensor dx)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        ShapeCheck.Same(dy, dx, nameof(dx));
        CausalMaskBackwardCore(dy, dx);
    }

    private protected abstract void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx);

    /// <summary>Scores [.., T, T]: y = x below and on the diagonal, -infinity above it (future positions).</summary>
    public void CausalMask(DeviceTensor x, DeviceTensor y)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        if (x.Shape.Rank < 2 || x.Shape[-1] != x.Shape[-2])
        {
            throw new ArgumentException($"CausalMask needs square [.., T, T] scores; x is {x.Shape}.", nameof(x));
        }

        CausalMaskCore(x, y);
    }

    private protected abstract void CausalMaskCore(DeviceTensor x, DeviceTensor y);
}
