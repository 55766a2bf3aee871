using System.Globalization;

namespace Amp;

/// <summary>
/// Dynamic loss scaling exactly as PyTorch's GradScaler (torch/amp/grad_scaler.py and _amp_update_scale_):
/// on overflow the scale is multiplied by the backoff factor (no floor; it may fall below 1) and the growth
/// tracker resets; after exactly <see cref="GrowthInterval"/> clean updates in a row the scale is multiplied
/// by the growth factor, but only if the result is finite. All arithmetic is FP32, as on the device.
/// </summary>
public sealed class LossScaler : ILossScaler
{
    private float scale;
    private int growthTracker;
    private long updates;

    public LossScaler(float initScale = 65536f, float growthFactor = 2f, float backoffFactor = 0.5f, int growthInterval = 2000, bool enabled = true)
    {
        if (!(initScale > 0 && float.IsFinite(initScale)))
        {
            throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "The initial scale must be finite and > 0.");
        }

        if (!(growthFactor > 1 && float.IsFinite(growthFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "The growth factor must be finite and > 1.");
        }

        if (!(backoffFactor > 0 && backoffFactor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "The backoff factor must be in (0, 1).");
        }

        if (growthInterval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "The growth interval must be >= 1.");
        }

        Enabled = enabled;
        scale = enabled ? initScale : 1f;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
    }

    /// <summary>A disabled scaler: scale 1, no updates, empty state.</summary>
    public static LossScaler Disabled() => new(enabled: false);

    /// <summary>Raised on every backoff and growth (not on plain clean steps).</summary>
    public event EventHandler<LossScaleChange>? ScaleChanged;

    public bool Enabled { get; }

    public float Scale => scale;

    public float InverseScale => (float)(1.0 / scale);

    public float GrowthFactor { get; private set; }

    public float BackoffFactor { get; private set; }

    public int GrowthInterval { get; private set; }

    /// <summary>Clean updates since the last backoff or growth.</summary>
    public int GrowthTracker => growthTracker;

    public void Update(bool foundInf)
    {
        if (!Enabled)
        {
            return;
        }

        updates++;
        float old = scale;
        if (foundInf)
        {
            scale = old * BackoffFactor;
            growthTracker = 0;
            ScaleChanged?.Invoke(this, new LossScaleChange(LossScaleChangeKind.Backoff, old, scale, updates));
            return;
        }

        int successful = growthTracker + 1;
        if (successful == GrowthInterval)
        {
            float candidate = old * GrowthFactor;
            if (float.IsFinite(candidate))
            {
                scale = candidate;
                ScaleChanged?.Invoke(this, new LossScaleChange(LossScaleChangeKind.Growth, old, scale, updates));
            }

            growthTracker = 0;
        }
        else
        {
            growthTracker = successful;
        }
    }

    // Keys follow GradScaler.state_dict().
    private const string ScaleKey = "scale";
    private const string GrowthFactorKey = "growth_factor";
    private const string BackoffFactorKey = "backoff_factor";
    private const string GrowthIntervalKey = "growth_interval";
    private const string TrackerKey = "_growth_tracker";

    public IReadOnlyDictionary<string, string> SaveState()
    {
        if (!Enabled)
        {
            return new Dictionary<string, string>();
        }

        // Floats are written as their exact bit-preserving round-trip text.
        return new Dictionary<string, string>
        {
            [ScaleKey] = scale.ToString("R", CultureInfo.InvariantCulture),
            [GrowthFactorKey] = GrowthFactor.ToString("R", CultureInfo.InvariantCulture),
            [BackoffFactorKey] = BackoffFactor.ToString("R", CultureInfo.InvariantCulture),
            [GrowthIntervalKey] = GrowthInterval.ToString(CultureInfo.InvariantCulture),
            [TrackerKey] = growthTracker.ToString(CultureInfo.InvariantCulture),
        };
    }

    public void LoadState(IReadOnlyDictionary<string, string> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Enabled)
        {
            if (state.Count != 0)
            {
                throw new InvalidOperationException("This scaler is disabled but the state comes from an enabled scaler.");
            }

            return;
        }

        if (state.Count == 0)
        {
            throw new InvalidOperationException("The loaded state is empty: it was saved from a disabled scaler.");
        }

        // Parse everything first, so a bad state changes nothing.
        float newScale = ParseFloat(state, ScaleKey);
        float newGrowth = ParseFloat(state, GrowthFactorKey);
        float newBackoff = ParseFloat(state, BackoffFactorKey);
        int newInterval = ParseInt(state, GrowthIntervalKey);
        int newTracker = ParseInt(state, TrackerKey);
        var check = new LossScaler(newScale > 0 && float.IsFinite(newScale) ? newScale : throw Bad(ScaleKey, "must be finite and > 0"), newGrowth, newBackoff, newInterval);
        if (newTracker < 0 || newTracker >= newInterval)
        {
            throw Bad(TrackerKey, $"must be in [0, {newInterval})");
        }

        scale = check.scale;
        GrowthFactor = check.GrowthFactor;
        BackoffFactor = check.BackoffFactor;
        GrowthInterval = check.GrowthInterval;
        growthTracker = newTracker;
    }

    private static float ParseFloat(IReadOnlyDictionary<string, string> state, string key) =>
        state.TryGetValue(key, out string? text) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
            ? value
            : throw Bad(key, "is missing or not a number");

    private static int ParseInt(IReadOnlyDictionary<string, string> state, string key) =>
        state.TryGetValue(key, out string? text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Bad(key, "is missing or not an integer");

    private static FormatException Bad(string key, string problem) => new($"Loss scaler state '{key}' {problem}.");

    public override string ToString() => Enabled
        ? $"LossScaler(scale {scale}, tracker {growthTracker}/{GrowthInterval}, x{GrowthFactor} / x{BackoffFactor})"
        : "LossScaler(disabled)";
}
