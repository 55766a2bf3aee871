namespace Amp;

// Row ops over the last dimension, reductions and losses, eager FP64.
public static partial class Ops
{
    public static Tensor Softmax(Tensor x, Precision? precision = null) => Rows(x, log: false);

    public static Tensor LogSoftmax(Tensor x, Precision? precision = null) => Rows(x, log: true);

    /// <summary>Sum over the last dimension: [.., n] -> [..].</summary>
    public static Tensor Sum(Tensor x, Precision? precision = null) => Reduce(x, mean: false);

    /// <summary>Mean over the last dimension: [.., n] -> [..].</summary>
    public static Tensor Mean(Tensor x, Precision? precision = null) => Reduce(x, mean: true);

    /// <summary>
    /// PyTorch's cross_entropy (mean reduction): over the rows whose label is not <paramref name="ignoreIndex"/>, the mean of
    /// (1 - eps) (-log softmax(logits)[row, label]) + eps mean_c(-log softmax(logits)[row, c]), eps =
    /// <paramref name="labelSmoothing"/> in [0, 1]; a scalar (NaN when every row is ignored, as PyTorch's 0 / 0).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Labels labels, float labelSmoothing = 0f, int ignoreIndex = -100)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1].");
        }

        ArgumentNullException.ThrowIfNull(labels);
        Tensor logp = LogSoftmax(logits);
        if (labels.Length != logp.Rows)
        {
            throw new ArgumentException($"labels has {labels.Length} entries but logits {EagerShape.Format(logits.Shape)} has {logp.Rows} rows.", nameof(labels));
        }

        double sum = 0;
        int counted = 0;
        for (int r = 0; r < logp.Rows; r++)
        {
            int label = labels.Classes[r];
            if (label == ignoreIndex)
            {
                continue;
            }

            if ((uint)label >= (uint)logp.Columns)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label at row {r} is outside [0, {logp.Columns}).");
            }

            double uniform = 0;
            for (int c = 0; c < logp.Columns; c++)
            {
                uniform += logp.Values[(r * logp.Columns) + c];
            }

            sum -= ((1 - (double)labelSmoothing) * logp.Values[(r * logp.Columns) + label]) + (labelSmoothing * uniform / logp.Columns);
            counted++;
        }

        return new Tensor([sum / counted]);
    }

    /// <summary>Mean of (prediction - target)^2 over every element: a scalar.</summary>
    public static Tensor MseLoss(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (!EagerShape.SameShape(prediction.Shape, target.Shape))
        {
            throw new ArgumentException($"target has shape {EagerShape.Format(target.Shape)}; prediction has {EagerShape.Format(prediction.Shape)}.", nameof(target));
        }

        double sum = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            double d = prediction.Values[i] - target.Values[i];
            sum += d * d;
        }

        return new Tensor([sum / prediction.Length]);
    }

    /// <summary>
    /// Binary cross-entropy on logits, as PyTorch's <c>binary_cross_entropy_with_logits</c> (mean over every element):
    /// mean(max(x, 0) - x y + log(1 + exp(-|x|))) with targets y in [0, 1]; FP32 list, the loss is FP32.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (!EagerShape.SameShape(logits.Shape, targets.Shape))
        {
            throw new ArgumentException($"targets has shape {EagerShape.Format(targets.Shape)}; logits has {EagerShape.Format(logits.Shape)}.", nameof(targets));
        }

        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits.Values[i];
            sum += Math.Max(x, 0) - (x * targets.Values[i]) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        }

        return new Tensor([sum / logits.Length]);
    }

    private static Tensor Rows(Tensor x, bool log)
    {
        ArgumentNullException.ThrowIfNull(x);
        int cols = x.Columns;
        var y = new double[x.Length];
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<double> row = x.Values.AsSpan(r * cols, cols);
            double max = double.NegativeInfinity, sum = 0;
            foreach (double v in row)
            {
                max = Math.Max(max, v);
            }

            foreach (double v in row)
            {
                sum += Math.Exp(v - max);
            }

            for (int c = 0; c < cols; c++)
            {
                y[(r * cols) + c] = log ? row[c] - max - Math.Log(sum) : Math.Exp(row[c] - max) / sum;
            }
        }

        return new Tensor(y, x.Dims);
    }

    private static Tensor Reduce(Tensor x, bool mean)
    {
        ArgumentNullException.ThrowIfNull(x);
        int cols = x.Columns;
        var y = new double[x.Rows];
        for (int r = 0; r < y.Length; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++)
            {
                sum += x.Values[(r * cols) + c];
            }

            y[r] = mean ? sum / cols : sum;
        }

        // A scalar reduces to itself, as PyTorch's x.sum(-1) on a 0-d tensor.
        return new Tensor(y, x.Dims.Length == 0 ? [] : x.Dims[..^1]);
    }
}
