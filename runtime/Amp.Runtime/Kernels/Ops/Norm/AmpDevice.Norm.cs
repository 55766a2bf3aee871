namespace Amp;

// LayerNorm and RmsNorm: FP32 statistics, the affine pass, and the backward to the input, weight and bias.
public abstract partial class AmpDevice
{
    /// <summary>Per row: mean and rstd = 1 / sqrt(biased variance + eps), in FP32 (two-pass variance).</summary>
    public void LayerNormStatistics(DeviceTensor x, DeviceTensor mean, DeviceTensor rstd, float epsilon)
    {
        Owns(x, nameof(x));
        Owns(mean, nameof(mean));
        Owns(rstd, nameof(rstd));
        ShapeCheck.Fp32(mean, nameof(mean));
        ShapeCheck.Fp32(rstd, nameof(rstd));
        ShapeCheck.RowCount(x, mean, nameof(mean));
        ShapeCheck.RowCount(x, rstd, nameof(rstd));
        Check.NonNegativeFinite(epsilon, nameof(epsilon));
        NormStatisticsCore(x, mean, rstd, epsilon);
    }

    /// <summary>Per row: rstd = 1 / sqrt(mean(x^2) + eps), in FP32.</summary>
    public void RmsNormStatistics(DeviceTensor x, DeviceTensor rstd, float epsilon)
    {
        Owns(x, nameof(x));
        Owns(rstd, nameof(rstd));
        ShapeCheck.Fp32(rstd, nameof(rstd));
        ShapeCheck.RowCount(x, rstd, nameof(rstd));
        Check.NonNegativeFinite(epsilon, nameof(epsilon));
        NormStatisticsCore(x, null, rstd, epsilon);
    }

    private protected abstract void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon);

    /// <summary>
    /// LayerNorm (mean given) or RmsNorm (mean null) backward from the saved statistics, x_hat = (x - mean) * rstd:
    /// dx += rstd * (dy*w - mean(dy*w) - x_hat * mean(dy*w * x_hat)) (RmsNorm drops the mean(dy*w) term);
    /// dweight += sum over rows of dy * x_hat; dbias += sum over rows of dy. A null dx skips the input gradient
    /// (the norm reads a tensor that needs none).
    /// </summary>
    public void NormBackward(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        Owns(x, nameof(x));
        Owns(weight, nameof(weight));
        Gradients(nameof(rstd), rstd);
        Owns(dy, nameof(dy));
        Gradients(nameof(dweight), dweight);
        ShapeCheck.Same(x, dy, nameof(dy));
        ShapeCheck.RowCount(x, rstd, nameof(rstd));
        if (dx is not null)
        {
            Owns(dx, nameof(dx));
            ShapeCheck.Same(x, dx, nameof(dx));
        }

        if (mean is not null)
        {
            Gradients(nameof(mean), mean);
            ShapeCheck.RowCount(x, mean, nameof(mean));
        }

        if (weight.Length != x.Shape.Columns || dweight.Length != x.Shape.Columns || (dbias is not null && dbias.Length != x.Shape.Columns))
        {
            throw new ArgumentException($"The norm's weight, dweight and dbias must have {x.Shape.Columns} elements (x is {x.Shape}).", nameof(dweight));
        }

        if (dbias is not null)
        {
            Gradients(nameof(dbias), dbias);
        }

        NormBackwardCore(x, weight, mean, rstd, dy, dx, dweight, dbias);
    }

    private protected abstract void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias);

    /// <summary>
    /// y = (x - mean) * rstd * weight + bias per row (PyTorch's LayerNorm, biased variance), in FP32; the row
    /// statistics are written to <paramref name="mean"/> and <paramref name="rstd"/> (FP32, one per row) for the backward pass.
    /// </summary>
    public void LayerNorm(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y, DeviceTensor mean, DeviceTensor rstd, float epsilon)
    {
        LayerNormStatistics(x, mean, rstd, epsilon);
        CheckAffine(x, weight, bias, y);
        NormAffineCore(x, mean, rstd, weight, bias, y);
    }

    /// <summary>y = x * rstd * weight per row, rstd = 1 / sqrt(mean(x^2) + eps), in FP32.</summary>
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, DeviceTensor y, DeviceTensor rstd, float epsilon)
    {
        RmsNormStatistics(x, rstd, epsilon);
        CheckAffine(x, weight, null, y);
        NormAffineCore(x, null, rstd, weight, null, y);
    }

    private void CheckAffine(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        Owns(weight, nameof(weight));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        if (weight.Length != x.Shape.Columns)
        {
            throw new ArgumentException($"weight must have {x.Shape.Columns} values (x is {x.Shape}); it is {weight.Shape}.", nameof(weight));
        }

        if (bias is not null)
        {
            Owns(bias, nameof(bias));
            ShapeCheck.Same(weight, bias, nameof(bias));
        }
    }

    private protected abstract void NormAffineCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y);
}
