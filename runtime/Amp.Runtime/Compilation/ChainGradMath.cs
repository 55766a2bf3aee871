using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp.Compilation;

/// <summary>
/// Derivatives of the chain functions, f'(x) as a function of the op's input x, in the scalar and Vector256 forms
/// of <see cref="ChainMath"/>. Generated backward chains recompute a fused chain's inner values from its inputs
/// and multiply these by the incoming gradient (nothing inside a chain is saved for the backward pass).
/// </summary>
public static class ChainGradMath
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluCubic = 0.044715f;

    /// <summary>PyTorch's convention: relu'(0) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReluGrad(float x) => x > 0f ? 1f : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ReluGrad(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TanhGrad(float x)
    {
        float t = ChainMath.Tanh(x);
        return 1f - (t * t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TanhGrad(Vector256<float> x)
    {
        Vector256<float> t = ChainMath.Tanh(x);
        return Vector256<float>.One - (t * t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidGrad(float x)
    {
        float s = ChainMath.Sigmoid(x);
        return s * (1f - s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SigmoidGrad(Vector256<float> x)
    {
        Vector256<float> s = ChainMath.Sigmoid(x);
        return s * (Vector256<float>.One - s);
    }

    /// <summary>silu'(x) = s (1 + x (1 - s)), s = sigmoid(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluGrad(float x)
    {
        float s = ChainMath.Sigmoid(x);
        return s * (1f + (x * (1f - s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SiluGrad(Vector256<float> x)
    {
        Vector256<float> s = ChainMath.Sigmoid(x);
        return s * (Vector256<float>.One + (x * (Vector256<float>.One - s)));
    }

    /// <summary>gelu'(x) for the tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluGrad(float x)
    {
        float t = ChainMath.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x)));
        return (0.5f * (1f + t)) + (0.5f * x * (1f - (t * t)) * SqrtTwoOverPi * (1f + (3f * GeluCubic * x * x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluGrad(Vector256<float> x)
    {
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> t = ChainMath.Tanh((x + (x * x * x * GeluCubic)) * SqrtTwoOverPi);
        return ((one + t) * 0.5f) + (x * 0.5f * (one - (t * t)) * SqrtTwoOverPi * (one + (x * x * (3f * GeluCubic))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpGrad(float x) => MathF.Exp(x);

    /// <summary>d sqrt(x) / dx = 1 / (2 sqrt(x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SqrtGrad(float x) => 0.5f / MathF.Sqrt(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SqrtGrad(Vector256<float> x) => Vector256.Create(0.5f) / Vector256.Sqrt(x);

    /// <summary>Clamp's derivative as PyTorch's: 1 where lo &lt;= x &lt;= hi (the bounds included), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ClampGrad(float x, float lo, float hi) => x >= lo && x <= hi ? 1f : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ClampGrad(Vector256<float> x, float lo, float hi) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(lo)) & Vector256.LessThanOrEqual(x, Vector256.Create(hi)), Vector256<float>.One, Vector256<float>.Zero);

    /// <summary>1 where the condition is nonzero, else 0: Where's derivative with respect to its first value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Selected(float condition) => condition != 0f ? 1f : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Selected(Vector256<float> condition) =>
        Vector256.ConditionalSelect(Vector256.Equals(condition, Vector256<float>.Zero), Vector256<float>.Zero, Vector256<float>.One);

    /// <summary>1 where the condition is zero, else 0: Where's derivative with respect to its second value, masked_fill's to x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NotSelected(float condition) => condition != 0f ? 0f : 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NotSelected(Vector256<float> condition) =>
        Vector256.ConditionalSelect(Vector256.Equals(condition, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpGrad(Vector256<float> x) => ChainMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LogGrad(float x) => 1f / x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LogGrad(Vector256<float> x) => Vector256<float>.One / x;

    /// <summary>d softplus / dx = sigmoid(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SoftplusGrad(float x) => ChainMath.Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SoftplusGrad(Vector256<float> x) => ChainMath.Sigmoid(x);
}

/// <summary>
/// A generated backward chain: the gradient reaching one leaf of a fused chain, from the chain's output gradient
/// <c>g</c> and its (up to four) leaves. As for <see cref="IChain"/>, <see cref="Reads"/> names the leaves the
/// derivative reads (an Add's reads none); the others are passed no tensor and never loaded.
/// </summary>
public interface IGradChain
{
    /// <summary>Bit k set: the derivative reads leaf k.</summary>
    static abstract int Reads { get; }

    static abstract float Apply(float g, float x0, float x1, float x2, float x3);

    static abstract Vector256<float> Apply(Vector256<float> g, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3);
}
