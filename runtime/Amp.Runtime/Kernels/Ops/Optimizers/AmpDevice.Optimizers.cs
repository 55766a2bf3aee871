namespace Amp;

// The step after backward: unscale-and-check, the squared norm for clipping, SGD and AdamW on FP32 masters with the cast-out.
public abstract partial class AmpDevice
{
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

    private protected abstract bool UnscaleAndCheckCore(IReadOnlyList<DeviceTensor> gradients, float inverseScale);

    private protected abstract void SgdStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor? momentumBuffer, DeviceTensor? working, SgdHyperparameters hyper, int step);

    private protected abstract void AdamWStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor m, DeviceTensor v, DeviceTensor? working, AdamWStepScalars scalars);

    /// <summary>The sum of squares of every element of every tensor, accumulated in FP64 (for clip-by-norm).</summary>
    public double SquaredNorm(IReadOnlyList<DeviceTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        double sum = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            Gradients($"tensors[{i}]", tensors[i]);
            sum += SquaredNormCore(tensors[i]);
        }

        return sum;
    }

    private void Gradients(string name, DeviceTensor tensor)
    {
        Owns(tensor, name);
        ShapeCheck.Fp32(tensor, name);
    }

    private protected abstract double SquaredNormCore(DeviceTensor tensor);
}
