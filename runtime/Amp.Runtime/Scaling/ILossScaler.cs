namespace Amp;

/// <summary>
/// The loss-scaling hook generated training steps call: seed backward with <see cref="Scale"/>, unscale the
/// gradients with <see cref="InverseScale"/> and report whether they overflowed through <see cref="Update"/>.
/// Implement it to plug in a custom policy.
/// </summary>
public interface ILossScaler
{
    /// <summary>False: the scale is 1 and never changes (BF16 and FP32 training).</summary>
    bool Enabled { get; }

    /// <summary>The current loss scale (FP32).</summary>
    float Scale { get; }

    /// <summary>fp32(1 / (double)Scale), as GradScaler computes it.</summary>
    float InverseScale { get; }

    /// <summary>Called once per optimizer step with whether any gradient held inf or NaN.</summary>
    void Update(bool foundInf);

    /// <summary>The state to checkpoint, as string pairs (empty when disabled).</summary>
    IReadOnlyDictionary<string, string> SaveState();

    /// <summary>Restores a state saved by <see cref="SaveState"/>; refuses an incompatible one and keeps the current state.</summary>
    void LoadState(IReadOnlyDictionary<string, string> state);
}

/// <summary>What a scaler did on an update.</summary>
public enum LossScaleChangeKind
{
    /// <summary>Overflow found: the scale was multiplied by the backoff factor and the optimizer step skipped.</summary>
    Backoff,

    /// <summary>GrowthInterval clean steps in a row: the scale was multiplied by the growth factor.</summary>
    Growth,
}

/// <summary>A change of the loss scale, raised by <see cref="LossScaler.ScaleChanged"/>.</summary>
public sealed record LossScaleChange(LossScaleChangeKind Kind, float OldScale, float NewScale, long UpdateIndex);
