namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
public abstract partial class AmpDevice
{
    /// <summary>
    /// Cross-entropy fused as softmax minus the (smoothed) one-hot: over the rows whose label is not <paramref name="ignoreIndex"/>,
    /// dlogits[r, c] += dloss[0] / counted * (exp(logProbs[r, c]) - (1 - eps) [c == label_r] - eps / C) (PyTorch's label
    /// smoothing eps and mean over the counted rows); ignored rows get nothing.
    /// <paramref name="dloss"/> is the loss's one-element gradient (the loss scale when the loss is the graph's output).
    /// </summary>
    public void CrossEntropyBackward(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits, float labelSmoothing = 0f, int ignoreIndex = -100)
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

        CheckSmoothing(labelSmoothing);
        var options = new CrossEntropyOptions(labelSmoothing, ignoreIndex);
        CrossEntropyBackwardCore(logProbs, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row", ignoreIndex), labels, dloss, dlogits, options);
    }

    private protected abstract void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits, CrossEntropyOptions options);

    /// <summary>
    /// loss[0] = the mean over the rows whose label is not <paramref name="ignoreIndex"/> of
    /// (1 - eps) (-logProbs[row, label]) + eps mean_c(-logProbs[row, c]) (labels as FP32 integers), in FP32: PyTorch's
    /// cross_entropy with label_smoothing and ignore_index. No counted row gives NaN, as PyTorch's 0 / 0.
    /// </summary>
    public void NllLoss(DeviceTensor logProbs, DeviceTensor labels, DeviceTensor loss, float labelSmoothing = 0f, int ignoreIndex = -100)
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

        CheckSmoothing(labelSmoothing);
        NllLossCore(logProbs, labels, HostIds(labels, logProbs.Shape.Columns, nameof(labels), "Label at row", ignoreIndex), loss, new CrossEntropyOptions(labelSmoothing, ignoreIndex));
    }

    private protected abstract void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss, CrossEntropyOptions options);

    private static void CheckSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1].");
        }
    }
}

/// <summary>CrossEntropy's options as PyTorch names them: label_smoothing (eps) and ignore_index.</summary>
internal readonly record struct CrossEntropyOptions(float LabelSmoothing, int IgnoreIndex)
{
    /// <summary>The rows that count: their label is not the ignored index.</summary>
    public int Counted(float[] labels)
    {
        int counted = 0;
        foreach (float label in labels)
        {
            counted += label != IgnoreIndex ? 1 : 0;
        }

        return counted;
    }
}
