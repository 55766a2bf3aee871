namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
public abstract partial class AmpDevice
{
    /// <summary>
    /// Cross-entropy fused as softmax minus one-hot: dlogits[r, c] += dloss[0] / rows * (exp(logProbs[r, c]) - [c == label_r]).
    /// <paramref name="dloss"/> is the loss's one-element gradient (the loss scale when the loss is the graph's output).
    /// </summary>
    public void CrossEntropyBackward(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        Owns(logProbs, nameof(logProbs));
        Owns(labels, nameof(labels));
        Gradients(nameof(dloss), dloss);
        Owns(dlogits, nameof(dlogits));
        ShapeCheck.RowCount(logProbs, labels, nameof(labels));
        if (dlogits.Length != logProbs.Length || dloss.Length != 1)
        {
            throw new ArgumentException($"'dlogits' {dlogits.Shape} must match logProbs {logProbs.Shape} and 'dloss' {dloss.Shape} must hold one value.", nameof(dlogits));
        }

        CrossEntropyBackwardCore(logProbs, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row"), labels, dloss, dlogits);
    }

    private protected abstract void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits);

    /// <summary>loss[0] = mean over rows of -logProbs[row, labels[row]] (labels as FP32 integers), in FP32.</summary>
    public void NllLoss(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor loss)
    {
        Owns(logProbs, nameof(logProbs));
        Owns(labels, nameof(labels));
        Owns(loss, nameof(loss));
        ShapeCheck.Fp32(labels, nameof(labels));
        ShapeCheck.Fp32(loss, nameof(loss));
        ShapeCheck.RowCount(logProbs, labels, nameof(labels));
        if (loss.Length != 1)
        {
            throw new ArgumentException($"loss must hold one value; it is {loss.Shape}.", nameof(loss));
        }

        NllLossCore(logProbs, labels, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row"), loss);
    }

    private protected abstract void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss);
}
