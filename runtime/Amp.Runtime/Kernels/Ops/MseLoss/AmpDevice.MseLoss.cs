namespace Amp;

// MseLoss backward (its forward is a fused squared-error chain and a RowMean).
public abstract partial class AmpDevice
{
    /// <summary>MseLoss = mean((a - b)^2): da += dloss * 2 (a - b) / n, db -= the same (either may be null: no gradient).</summary>
    public void MseLossBackward(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        Owns(a, nameof(a));
        Owns(b, nameof(b));
        Gradients(nameof(dloss), dloss);
        ShapeCheck.Same(a, b, nameof(b));
        foreach ((DeviceTensor? g, string name) in new[] { (da, nameof(da)), (db, nameof(db)) })
        {
            if (g is not null)
            {
                Owns(g, name);
                ShapeCheck.Same(a, g, name);
            }
        }

        MseLossBackwardCore(a, b, dloss, da, db);
    }

    private protected abstract void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db);
}
