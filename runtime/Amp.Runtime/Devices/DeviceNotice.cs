namespace Amp;

/// <summary>What a device notice is about.</summary>
public enum DeviceNoticeKind
{
    /// <summary>A training step without a loss scaler (BF16, FP32) found inf or NaN gradients and skipped the optimizer: the run is diverging.</summary>
    SkippedStep,

    /// <summary>FP16 gradients overflowed at the current scale: the step was skipped and the scale backed off (routine while the scaler finds its level).</summary>
    ScaleBackoff,

    /// <summary>The FP16 loss scale underflowed to zero: every later step will be skipped (GradScaler's behaviour; no floor).</summary>
    ScaleCollapsed,

    /// <summary>A checkpoint saved by another model (its names and shapes match) was loaded.</summary>
    CheckpointFromOtherModel,

    /// <summary>A precision the plan asks for runs emulated on this device (same numbers, slower).</summary>
    EmulatedPrecision,

    /// <summary>A kernel path fell back to a slower one.</summary>
    Fallback,
}

/// <summary>One notice raised through <see cref="AmpDevice.Notice"/>: what happened, to which model, in words.</summary>
/// <param name="Kind">What it is about.</param>
/// <param name="Source">The model (its class name) or kernel that raised it.</param>
/// <param name="Message">A sentence a user can act on.</param>
/// <param name="Step">The optimizer step (or the number of TrainStep calls) it refers to; -1 when none.</param>
public sealed record DeviceNotice(DeviceNoticeKind Kind, string Source, string Message, long Step = -1)
{
    public override string ToString() => $"{Kind} ({Source}{(Step >= 0 ? $", step {Step}" : string.Empty)}): {Message}";
}

// The notice channel: one event per device that every part raises through (models, kernels, capabilities).
public abstract partial class AmpDevice
{
    /// <summary>
    /// Raised for what a user should know but that is not an error: a skipped training step, a collapsed loss scale,
    /// an emulated precision or a kernel fallback. Handlers run on the thread that raised it.
    /// </summary>
    public event EventHandler<DeviceNotice>? Notice;

    /// <summary>Notices raised so far on this device, by kind (counted even with no handler attached).</summary>
    public IReadOnlyDictionary<DeviceNoticeKind, long> NoticeCounts
    {
        get
        {
            lock (noticeCounts)
            {
                return new Dictionary<DeviceNoticeKind, long>(noticeCounts);
            }
        }
    }

    private readonly Dictionary<DeviceNoticeKind, long> noticeCounts = [];

    internal void Raise(DeviceNotice notice)
    {
        lock (noticeCounts)
        {
            noticeCounts[notice.Kind] = noticeCounts.GetValueOrDefault(notice.Kind) + 1;
        }

        Notice?.Invoke(this, notice);
    }
}
