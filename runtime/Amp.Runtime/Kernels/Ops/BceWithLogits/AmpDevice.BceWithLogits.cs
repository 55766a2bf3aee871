namespace Amp;

// BinaryCrossEntropyWithLogits backward (its forward is a fused softplus(x) - x y chain and a RowMean).
public abstract partial class AmpDevice
{
    /// <summary>
    /// loss = mean(softplus(x) - x y) over n elements: dx += dloss (sigmoid(x) - y) / n, dy += -dloss x / n (either
    /// may be null: no gradient).
    /// </summary>
    public void BinaryCrossEntropyWithLogitsBackward(DeviceTensor logits, DeviceTensor targets, DeviceTensor dloss, DeviceTensor? dlogits, DeviceTensor? dtargets)
    {
        Owns(logits, nameof(logits));
        Owns(targets, nameof(targets));
        Gradients(nameof(dloss), dloss);
        ShapeCheck.Same(logits, targets, nameof(targets));
        foreach ((DeviceTensor? g, string name) in new[] { (dlogits, nameof(dlogits)), (dtargets, nameof(dtargets)) })
        {
            if (g is not null)
            {
                Owns(g, name);
                ShapeCheck.Same(logits, g, name);
            }
        }

        BinaryCrossEntropyWithLogitsBackwardCore(logits, targets, dloss, dlogits, dtargets);
    }

    private protected abstract void BinaryCrossEntropyWithLogitsBackwardCore(DeviceTensor logits, DeviceTensor targets, DeviceTensor dloss, DeviceTensor? dlogits, DeviceTensor? dtargets);
}
