namespace Amp;

/// <summary>
/// A learning-rate multiplier per optimizer step (counted from 1; skipped steps do not count). The optimizer's
/// learning rate times <see cref="Factor"/> is the rate used at that step.
/// </summary>
public abstract record LearningRateSchedule
{
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>Linear warmup from 0 over <paramref name="warmupSteps"/>, then cosine decay to <paramref name="minFactor"/> at <paramref name="totalSteps"/> (held after).</summary>
    public static LearningRateSchedule WarmupCosine(int warmupSteps, int totalSteps, float minFactor = 0f) => new WarmupCosineSchedule(warmupSteps, totalSteps, minFactor);

    public abstract double Factor(int step);

    private sealed record ConstantSchedule : LearningRateSchedule
    {
        public override double Factor(int step) => 1.0;
    }

    private sealed record WarmupCosineSchedule : LearningRateSchedule
    {
        public WarmupCosineSchedule(int warmupSteps, int totalSteps, float minFactor)
        {
            if (warmupSteps < 0 || totalSteps <= warmupSteps)
            {
                throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"WarmupCosine needs 0 <= warmupSteps ({warmupSteps}) < totalSteps.");
            }

            if (!(minFactor >= 0 && minFactor <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(minFactor), minFactor, "minFactor must be in [0, 1].");
            }

            WarmupSteps = warmupSteps;
            TotalSteps = totalSteps;
            MinFactor = minFactor;
        }

        public int WarmupSteps { get; }

        public int TotalSteps { get; }

        public float MinFactor { get; }

        public override double Factor(int step)
        {
            if (step <= WarmupSteps)
            {
                return (double)step / Math.Max(1, WarmupSteps);
            }

            double progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
            return MinFactor + ((1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
        }
    }
}
