using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>Per-step SGD scalars as kernels take them (flags as ints: kernel arguments must be blittable).</summary>
internal readonly struct SgdStepScalars
{
    public readonly float LearningRate, Momentum, OneMinusDampening, WeightDecay;
    private readonly int nesterov, firstStep, hasMomentum;

    private SgdStepScalars(SgdHyperparameters h, int step)
    {
        LearningRate = h.LearningRate;
        Momentum = h.Momentum;
        OneMinusDampening = 1f - h.Dampening;
        WeightDecay = h.WeightDecay;
        nesterov = h.Nesterov ? 1 : 0;
        firstStep = step == 1 ? 1 : 0;
        hasMomentum = h.Momentum != 0 ? 1 : 0;
    }

    public bool Nesterov => nesterov != 0;

    /// <summary>PyTorch starts the momentum buffer as a copy of the first step's gradient.</summary>
    public bool FirstStep => firstStep != 0;

    public bool HasMomentum => hasMomentum != 0;

    public static SgdStepScalars From(SgdHyperparameters h, int step) => new(h, step);
}

/// <summary>
/// One element of each optimizer, in PyTorch's operation order (single-tensor path). The Cpu kernels run the
/// vector forms below with the same operations in the same order, and the ILGPU kernels call the scalar
/// forms, so every device produces the same bits (no contraction into FMA on the host).
/// </summary>
internal static class OptimizerMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sgd(float p, float g, ref float buf, in SgdStepScalars s)
    {
        if (s.WeightDecay != 0f)
        {
            g += s.WeightDecay * p;
        }

        if (s.HasMomentum)
        {
            buf = s.FirstStep ? g : (buf * s.Momentum) + (s.OneMinusDampening * g);
            g = s.Nesterov ? g + (s.Momentum * buf) : buf;
        }

        return p + (-s.LearningRate * g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sgd(Vector256<float> p, Vector256<float> g, ref Vector256<float> buf, in SgdStepScalars s)
    {
        if (s.WeightDecay != 0f)
        {
            g += Vector256.Create(s.WeightDecay) * p;
        }

        if (s.HasMomentum)
        {
            buf = s.FirstStep ? g : (buf * s.Momentum) + (Vector256.Create(s.OneMinusDampening) * g);
            g = s.Nesterov ? g + (Vector256.Create(s.Momentum) * buf) : buf;
        }

        return p + (Vector256.Create(-s.LearningRate) * g);
    }

    /// <summary>AdamW: p *= decay; m = lerp(m, g, 1-b1); v = v*b2 + (1-b2)*g*g; p += -stepSize * m / (sqrt(v)/sqrt(bc2) + eps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float AdamW(float p, float g, ref float m, ref float v, in AdamWStepScalars s)
    {
        p *= s.Decay;
        m += s.OneMinusBeta1 * (g - m);
        v = (v * s.Beta2) + (s.OneMinusBeta2 * (g * g));
        float denom = (MathF.Sqrt(v) / s.Bc2Sqrt) + s.Epsilon;
        return p + (-s.StepSize * (m / denom));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AdamW(Vector256<float> p, Vector256<float> g, ref Vector256<float> m, ref Vector256<float> v, in AdamWStepScalars s)
    {
        p *= s.Decay;
        m += Vector256.Create(s.OneMinusBeta1) * (g - m);
        v = (v * s.Beta2) + (Vector256.Create(s.OneMinusBeta2) * (g * g));
        Vector256<float> denom = (Vector256.Sqrt(v) / Vector256.Create(s.Bc2Sqrt)) + Vector256.Create(s.Epsilon);
        return p + (Vector256.Create(-s.StepSize) * (m / denom));
    }
}
