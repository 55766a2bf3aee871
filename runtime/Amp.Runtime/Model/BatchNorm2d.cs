namespace Amp;

/// <summary>
/// PyTorch's nn.BatchNorm2d on [Batch, C, H, W]: per channel, y = (x - mean) / sqrt(var + eps) * weight + bias with
/// weight (ones) and bias (zeros) of [C]. Training uses the batch's statistics over (Batch, H, W) with the biased
/// variance, and updates the buffers: running_mean and running_var (unbiased variance) by
/// <c>running = (1 - momentum) running + momentum batch</c>, and num_batches_tracked by one. Eval uses the running
/// statistics (zeros and ones at first).
/// </summary>
public sealed class BatchNorm2d : Layer
{
    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        Channels = Positive(channels, nameof(channels));
        Eps = Epsilon(eps, nameof(eps));
        Momentum = momentum is >= 0f and <= 1f ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1].");
        Weight = new float[channels];
        Bias = new float[channels];
        RunningMean = new float[channels];
        RunningVar = new float[channels];
        ResetParameters();
        ResetRunningStatistics();
    }

    public int Channels { get; }

    public float Eps { get; }

    public float Momentum { get; }

    public float[] Weight { get; }

    public float[] Bias { get; }

    public float[] RunningMean { get; }

    public float[] RunningVar { get; }

    /// <summary>Training passes that updated the running statistics (PyTorch's num_batches_tracked, saved as I64).</summary>
    public long NumBatchesTracked { get; private set; }

    public override IReadOnlyList<LayerParameter> Parameters => [new("weight", [Channels], Weight), new("bias", [Channels], Bias)];

    public override IReadOnlyList<LayerParameter> Buffers =>
        [new("running_mean", [Channels], RunningMean), new("running_var", [Channels], RunningVar), new("num_batches_tracked", [], [NumBatchesTracked])];

    public override void ResetParameters()
    {
        Array.Fill(Weight, 1f);
        Array.Fill(Bias, 0f);
    }

    /// <summary>Running mean 0, running variance 1, no batch tracked (PyTorch's reset_running_stats).</summary>
    public void ResetRunningStatistics()
    {
        Array.Fill(RunningMean, 0f);
        Array.Fill(RunningVar, 1f);
        NumBatchesTracked = 0;
    }

    /// <summary>Eager FP64 in <see cref="EagerMode"/>'s mode: batch statistics (and the running update) in training, the running statistics in eval.</summary>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Dims.Length != 4 || x.Dims[1] != Channels)
        {
            throw new ArgumentException($"BatchNorm2d({Channels}) needs [Batch, {Channels}, H, W]; got {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        int n = x.Dims[0], pixels = x.Dims[2] * x.Dims[3];
        long count = (long)n * pixels;
        bool training = EagerMode.Training;
        if (training && count == 1)
        {
            throw new ArgumentException($"BatchNorm2d({Channels}) needs more than one value per channel in training; got input {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        var y = new double[x.Length];
        for (int c = 0; c < Channels; c++)
        {
            double mean = RunningMean[c], variance = RunningVar[c];
            if (training)
            {
                (mean, variance) = Statistics(x, c, n, pixels);
                RunningMean[c] = (float)(((1 - (double)Momentum) * RunningMean[c]) + (Momentum * mean));
                RunningVar[c] = (float)(((1 - (double)Momentum) * RunningVar[c]) + (Momentum * variance * count / (count - 1)));
            }

            double rstd = 1 / Math.Sqrt(variance + Eps);
            for (int b = 0; b < n; b++)
            {
                int start = ((b * Channels) + c) * pixels;
                for (int i = start; i < start + pixels; i++)
                {
                    y[i] = ((x.Values[i] - mean) * rstd * Weight[c]) + Bias[c];
                }
            }
        }

        if (training)
        {
            NumBatchesTracked++;
        }

        return new Tensor(y, x.Dims);
    }

    /// <summary>Channel <paramref name="c"/>'s mean and biased variance over batch and pixels (two passes).</summary>
    private (double Mean, double Variance) Statistics(Tensor x, int c, int n, int pixels)
    {
        double sum = 0, squares = 0;
        for (int b = 0; b < n; b++)
        {
            int start = ((b * Channels) + c) * pixels;
            for (int i = start; i < start + pixels; i++)
            {
                sum += x.Values[i];
            }
        }

        double mean = sum / ((long)n * pixels);
        for (int b = 0; b < n; b++)
        {
            int start = ((b * Channels) + c) * pixels;
            for (int i = start; i < start + pixels; i++)
            {
                squares += (x.Values[i] - mean) * (x.Values[i] - mean);
            }
        }

        return (mean, squares / ((long)n * pixels));
    }
}
