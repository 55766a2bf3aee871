namespace Amp;

/// <summary>PyTorch's SGD: g += wd*p; buf = step==1 ? g : momentum*buf + (1-dampening)*g; g = nesterov ? g + momentum*buf : buf; p -= lr*g.</summary>
public sealed record SgdHyperparameters(
    float LearningRate,
    float Momentum = 0f,
    float Dampening = 0f,
    float WeightDecay = 0f,
    bool Nesterov = false)
{
    internal void Validate()
    {
        // PyTorch checks lr, momentum and weight_decay >= 0; NaN passes its checks (a NaN dampening once turned every
        // weight to NaN on a step reported as not skipped), so every value here must also be finite, and the momentum
        // and dampening factors in [0, 1].
        Check.NonNegativeFinite(LearningRate, nameof(LearningRate));
        Check.UnitInterval(Momentum, nameof(Momentum));
        Check.UnitInterval(Dampening, nameof(Dampening));
        Check.NonNegativeFinite(WeightDecay, nameof(WeightDecay));
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
        {
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(Nesterov));
        }
    }
}

/// <summary>PyTorch's AdamW (decoupled weight decay, bias correction): p *= 1 - lr*wd; m, v moments; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).</summary>
public sealed record AdamWHyperparameters(
    float LearningRate = 1e-3f,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f,
    float WeightDecay = 1e-2f)
{
    internal void Validate()
    {
        Check.NonNegativeFinite(LearningRate, nameof(LearningRate));
        Check.NonNegativeFinite(WeightDecay, nameof(WeightDecay));
        Check.NonNegativeFinite(Epsilon, nameof(Epsilon));
        if (!(Beta1 >= 0 && Beta1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must be in [0, 1).");
        }

        if (!(Beta2 >= 0 && Beta2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must be in [0, 1).");
        }
    }

    /// <summary>The per-step scalars, computed in double once on the host as PyTorch does in Python.</summary>
    internal AdamWStepScalars ScalarsFor(int step)
    {
        double bc1 = 1 - Math.Pow(Beta1, step);
        double bc2 = 1 - Math.Pow(Beta2, step);
        return new AdamWStepScalars(
            Decay: (float)(1 - ((double)LearningRate * WeightDecay)),
            StepSize: (float)(LearningRate / bc1),
            Bc2Sqrt: (float)Math.Sqrt(bc2),
            OneMinusBeta1: (float)(1 - (double)Beta1),
            Beta2: Beta2,
            OneMinusBeta2: (float)(1 - (double)Beta2),
            Epsilon: Epsilon);
    }
}

internal readonly record struct AdamWStepScalars(float Decay, float StepSize, float Bc2Sqrt, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Epsilon);

internal static class Check
{
    public static void NonNegativeFinite(float value, string name)
    {
        if (!(value >= 0 && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and >= 0.");
        }
    }

    public static void UnitInterval(float value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
        }
    }
}
