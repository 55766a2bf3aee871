namespace Amp;

// The kernel library as every device offers it: validate here, run in the device's *Core method.
public abstract partial class AmpDevice
{
    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C (+ bias), FP32 accumulation, any storage precisions.
    /// Shapes: op(A) [m, k], op(B) [k, n], C [m, n]; a leading batch dimension on C batches the product,
    /// and an operand without one is shared by every batch entry (a weight applied to a batch of inputs).
    /// </summary>
    public void Gemm(DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions? options = null)
    {
        options ??= GemmOptions.Default;
        GemmProblem problem = GemmProblem.Validate(this, a, b, c, options);
        GemmCore(problem, a, b, c, options);
    }

    /// <summary>result[r] = sum of row r of x (rows: every dimension but the last), accumulated in FP32.</summary>
    public void RowSum(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Sum);

    /// <summary>result[r] = max of row r of x.</summary>
    public void RowMax(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Max);

    /// <summary>result[r] = mean of row r of x, accumulated in FP32.</summary>
    public void RowMean(DeviceTensor x, DeviceTensor result) => RowReduce(x, result, RowReduction.Mean);

    private void RowReduce(DeviceTensor x, DeviceTensor result, RowReduction reduction)
    {
        Owns(x, nameof(x));
        Owns(result, nameof(result));
        ShapeCheck.RowCount(x, result, nameof(result));
        RowReduceCore(x, result, reduction);
    }

    /// <summary>y = softmax over the last dimension, computed in FP32 (max-subtracted), stored in y's precision.</summary>
    public void Softmax(DeviceTensor x, DeviceTensor y) => SoftmaxRows(x, y, log: false);

    /// <summary>y = log-softmax over the last dimension: x - max - log(sum(exp(x - max))), in FP32.</summary>
    public void LogSoftmax(DeviceTensor x, DeviceTensor y) => SoftmaxRows(x, y, log: true);

    private void SoftmaxRows(DeviceTensor x, DeviceTensor y, bool log)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        SoftmaxCore(x, y, log);
    }

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

    /// <summary>destination = source converted to destination's precision (round to nearest even).</summary>
    public void Cast(DeviceTensor source, DeviceTensor destination)
    {
        Owns(source, nameof(source));
        Owns(destination, nameof(destination));
        ShapeCheck.Same(source, destination, nameof(destination));
        CastCore(source, destination);
    }

    /// <summary>
    /// The loss scaler's fused pass: every element of every gradient is multiplied by <paramref name="inverseScale"/>
    /// (also when a non-finite value is found, as PyTorch does) and the result says whether any element was inf or NaN.
    /// Gradients must be FP32: unscaling FP16 gradients is refused, as GradScaler refuses it.
    /// </summary>
    public bool UnscaleAndCheck(IReadOnlyList<DeviceTensor> gradients, float inverseScale)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        for (int i = 0; i < gradients.Count; i++)
        {
            Owns(gradients[i], $"gradients[{i}]");
            if (gradients[i].Precision != Precision.Fp32)
            {
                throw new InvalidOperationException(
                    $"Attempting to unscale {gradients[i].Precision.Name()} gradients (gradients[{i}]): gradients must be FP32 master gradients.");
            }
        }

        return gradients.Count > 0 && UnscaleAndCheckCore(gradients, inverseScale);
    }

    /// <summary>One SGD step on FP32 master weights (PyTorch semantics, <paramref name="step"/> counts from 1); writes the working copy in the same pass.</summary>
    public void SgdStep(DeviceTensor master, DeviceTensor gradient, DeviceTensor? momentumBuffer, DeviceTensor? working, SgdHyperparameters hyper, int step)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        hyper.Validate();
        ValidateOptimizerOperands(master, gradient, working, step);
        if (hyper.Momentum != 0)
        {
            if (momentumBuffer is null)
            {
                throw new ArgumentNullException(nameof(momentumBuffer), "SGD with momentum needs a momentum buffer.");
            }

            OptimizerState(master, momentumBuffer, nameof(momentumBuffer));
        }

        SgdStepCore(master, gradient, hyper.Momentum != 0 ? momentumBuffer : null, working, hyper, step);
    }

    /// <summary>One AdamW step on FP32 master weights with bias correction; writes the working copy in the same pass.</summary>
    public void AdamWStep(DeviceTensor master, DeviceTensor gradient, DeviceTensor firstMoment, DeviceTensor secondMoment, DeviceTensor? working, AdamWHyperparameters hyper, int step)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        hyper.Validate();
        ValidateOptimizerOperands(master, gradient, working, step);
        OptimizerState(master, firstMoment, nameof(firstMoment));
        OptimizerState(master, secondMoment, nameof(secondMoment));
        AdamWStepCore(master, gradient, firstMoment, secondMoment, working, hyper.ScalarsFor(step));
    }

    private void ValidateOptimizerOperands(DeviceTensor master, DeviceTensor gradient, DeviceTensor? working, int step)
    {
        Owns(master, nameof(master));
        Owns(gradient, nameof(gradient));
        ShapeCheck.Fp32(master, nameof(master));
        ShapeCheck.Fp32(gradient, nameof(gradient));
        ShapeCheck.Same(master, gradient, nameof(gradient));
        if (working is not null)
        {
            Owns(working, nameof(working));
            ShapeCheck.Same(master, working, nameof(working));
        }

        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Optimizer steps count from 1.");
        }
    }

    private void OptimizerState(DeviceTensor master, DeviceTensor state, string name)
    {
        Owns(state, name);
        ShapeCheck.Fp32(state, name);
        ShapeCheck.Same(master, state, name);
    }

    /// <summary>Checks that the tensor is alive and lives on this device.</summary>
    internal void Owns(DeviceTensor tensor, string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Device, this))
        {
            throw new ArgumentException($"'{name}' ({tensor}) lives on another device than {Kind}.", name);
        }

        tensor.ThrowIfDisposed();
    }

    private protected abstract void GemmCore(GemmProblem problem, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options);

    private protected abstract void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction);

    private protected abstract void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log);

    private protected abstract void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon);

    private protected abstract void CastCore(DeviceTensor source, DeviceTensor destination);

    private protected abstract bool UnscaleAndCheckCore(IReadOnlyList<DeviceTensor> gradients, float inverseScale);

    private protected abstract void SgdStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor? momentumBuffer, DeviceTensor? working, SgdHyperparameters hyper, int step);

    private protected abstract void AdamWStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor m, DeviceTensor v, DeviceTensor? working, AdamWStepScalars scalars);
}

// The values are the ILGPU kernel's mode argument.
internal enum RowReduction
{
    Sum = 0,
    Max = 1,
    Mean = 2,
}
