namespace Amp;

/// <summary>
/// How a compiled model trains: the optimizer (AdamW by default, or SGD), the learning-rate schedule, the loss
/// scaler, clip-by-norm and gradient accumulation. Pass it to the generated <c>Compile(device, options)</c>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>AdamW hyperparameters (the default optimizer). Set <see cref="Sgd"/> instead to use SGD.</summary>
    public AdamWHyperparameters? AdamW { get; init; }

    /// <summary>SGD hyperparameters; when set, <see cref="AdamW"/> must be null.</summary>
    public SgdHyperparameters? Sgd { get; init; }

    /// <summary>Multiplies the optimizer's learning rate per optimizer step (constant by default).</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>
    /// The loss scaler. Null picks PyTorch's default: a <see cref="LossScaler"/> with GradScaler's defaults when the
    /// plan computes anything in FP16, and a disabled one for BF16 and FP32 plans.
    /// </summary>
    public ILossScaler? Scaler { get; init; }

    /// <summary>Clip-by-norm on the unscaled gradients (the global L2 norm over all parameters); null: no clipping.</summary>
    public float? MaxGradNorm { get; init; }

    /// <summary>Micro-batches per optimizer step: gradients are averaged over them and the scaler updates once per step.</summary>
    public int AccumulationSteps { get; init; } = 1;

    internal void Validate()
    {
        if (AdamW is not null && Sgd is not null)
        {
            throw new ArgumentException("TrainingOptions sets both AdamW and Sgd; choose one optimizer.", nameof(Sgd));
        }

        AdamW?.Validate();
        Sgd?.Validate();
        if (AccumulationSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(AccumulationSteps), AccumulationSteps, "AccumulationSteps must be at least 1.");
        }

        if (MaxGradNorm is { } max && !(max > 0 && float.IsFinite(max)))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), max, "MaxGradNorm must be finite and > 0.");
        }

        ArgumentNullException.ThrowIfNull(Schedule, nameof(Schedule));
    }
}

/// <summary>The outcome of one <c>TrainStep</c>.</summary>
/// <param name="Loss">This micro-batch's mean loss, unscaled, in FP32.</param>
/// <param name="Skipped">True when the gradients held inf or NaN: the optimizer step was skipped and the scale backed off.</param>
/// <param name="Scale">The loss scale this step was seeded with (1 when the scaler is disabled).</param>
public readonly record struct StepResult(float Loss, bool Skipped, float Scale);
