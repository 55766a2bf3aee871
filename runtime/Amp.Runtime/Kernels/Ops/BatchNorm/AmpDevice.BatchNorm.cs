namespace Amp;

// BatchNorm2d on [B, C, H, W]: FP32 statistics per channel over (B, H, W), the running update, the normalisation
// (FP32 math, stored in y's precision) and the backward to the input, weight and bias.
public abstract partial class AmpDevice
{
    /// <summary>Per channel of x [B, C, H, W] (any precision): the mean and the biased variance over (B, H, W), in FP32 [C] (two passes).</summary>
    public void ChannelStatistics(DeviceTensor x, DeviceTensor mean, DeviceTensor variance)
    {
        Owns(x, nameof(x));
        Owns(mean, nameof(mean));
        Owns(variance, nameof(variance));
        ChannelStateCheck(x, mean, nameof(mean));
        ChannelStateCheck(x, variance, nameof(variance));
        ChannelStatisticsCore(x, mean, variance);
    }

    private protected abstract void ChannelStatisticsCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance);

    /// <summary>
    /// PyTorch's running update from one batch of <paramref name="count"/> values per channel: running_mean =
    /// (1 - m) running_mean + m mean, running_var = (1 - m) running_var + m variance count / (count - 1) (the
    /// unbiased variance), all FP32 [C].
    /// </summary>
    public void UpdateRunningStatistics(DeviceTensor mean, DeviceTensor variance, DeviceTensor runningMean, DeviceTensor runningVar, float momentum, long count)
    {
        Owns(mean, nameof(mean));
        Owns(variance, nameof(variance));
        Owns(runningMean, nameof(runningMean));
        Owns(runningVar, nameof(runningVar));
        foreach ((DeviceTensor t, string name) in new[] { (mean, nameof(mean)), (variance, nameof(variance)), (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)) })
        {
            ShapeCheck.Fp32(t, name);
            if (t.Length != mean.Length)
            {
                throw new ArgumentException($"'{name}' {t.Shape} must have one value per channel, as mean {mean.Shape}.", name);
            }
        }

        if (!(momentum is >= 0f and <= 1f) || count < 2)
        {
            throw new ArgumentOutOfRangeException(count < 2 ? nameof(count) : nameof(momentum), "The running update needs momentum in [0, 1] and more than one value per channel.");
        }

        UpdateRunningStatisticsCore(mean, variance, runningMean, runningVar, momentum, (float)((double)count / (count - 1)));
    }

    private protected abstract void UpdateRunningStatisticsCore(DeviceTensor mean, DeviceTensor variance, DeviceTensor runningMean, DeviceTensor runningVar, float momentum, float unbias);

    /// <summary>
    /// y = (x - mean[c]) / sqrt(variance[c] + eps) * weight[c] + bias[c] on x [B, C, H, W]: FP32 math from FP32
    /// statistics [C] (the batch's or the running ones), rounded once to y's precision.
    /// </summary>
    public void BatchNorm(DeviceTensor x, DeviceTensor mean, DeviceTensor variance, DeviceTensor weight, DeviceTensor bias, DeviceTensor y, float epsilon)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        foreach ((DeviceTensor t, string name) in new[] { (mean, nameof(mean)), (variance, nameof(variance)), (weight, nameof(weight)), (bias, nameof(bias)) })
        {
            Owns(t, name);
            ChannelStateCheck(x, t, name);
        }

        Check.NonNegativeFinite(epsilon, nameof(epsilon));
        BatchNormCore(x, mean, variance, weight, bias, y, epsilon);
    }

    private protected abstract void BatchNormCore(DeviceTensor x, DeviceTensor mean, DeviceTensor variance, DeviceTensor weight, DeviceTensor bias, DeviceTensor y, float epsilon);

    /// <summary>
    /// BatchNorm's training-mode backward from the batch statistics, per channel over its N = B H W values with
    /// x_hat = (x - mean) rstd: dbias += sum dy, dweight += sum dy x_hat, and (dx not null)
    /// dx += weight rstd / N (N dy - sum dy - x_hat sum dy x_hat). FP32 math for any precision of x, dy and dx.
    /// </summary>
    public void BatchNormBackward(
        DeviceTensor x, DeviceTensor weight, DeviceTensor mean, DeviceTensor variance, float epsilon, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor dbias)
    {
        Owns(x, nameof(x));
        Owns(dy, nameof(dy));
        ShapeCheck.Same(x, dy, nameof(dy));
        if (dx is not null)
        {
            Owns(dx, nameof(dx));
            ShapeCheck.Same(x, dx, nameof(dx));
        }

        foreach ((DeviceTensor t, string name) in new[] { (weight, nameof(weight)), (mean, nameof(mean)), (variance, nameof(variance)), (dweight, nameof(dweight)), (dbias, nameof(dbias)) })
        {
            Owns(t, name);
            ChannelStateCheck(x, t, name);
        }

        Gradients(nameof(dweight), dweight);
        Gradients(nameof(dbias), dbias);
        BatchNormBackwardCore(x, weight, mean, variance, epsilon, dy, dx, dweight, dbias);
    }

    private protected abstract void BatchNormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor mean, DeviceTensor variance, float epsilon, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor dbias);

    /// <summary>x is [B, C, H, W] and <paramref name="state"/> one FP32 value per channel.</summary>
    private static void ChannelStateCheck(DeviceTensor x, DeviceTensor state, string name)
    {
        if (x.Shape.Rank != 4)
        {
            throw new ArgumentException($"BatchNorm2d needs x as [Batch, C, H, W]; got {x.Shape}.", nameof(x));
        }

        ShapeCheck.Fp32(state, name);
        if (state.Length != x.Shape[1])
        {
            throw new ArgumentException($"'{name}' {state.Shape} must have one value per channel of x {x.Shape}.", name);
        }
    }
}
