using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp.Compilation;

/// <summary>
/// The math of fused elementwise chains, in FP32, with a scalar overload (host tails and ILGPU kernels: only
/// MathF.Exp/Log, which every ILGPU backend maps) and a Vector256 overload (the Cpu device) of the same formula,
/// so a generated chain is written once and reads the same in both. Accurate to a few FP32 ulp in the scalar
/// form and about 1e-7 absolute in the vector form (tanh near 0).
/// </summary>
public static class ChainMath
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluCubic = 0.044715f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f ? x : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    /// <summary>tanh(x) = 1 - 2 / (exp(2x) + 1): exact limits at both infinities, no overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => 1f - (2f / (MathF.Exp(2f * x) + 1f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) =>
        Vector256<float>.One - (Vector256.Create(2f) / (VectorMath.Exp(x * 2f) + Vector256<float>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + VectorMath.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x * Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x * Sigmoid(x);

    /// <summary>The tanh form, as PyTorch's gelu(approximate="tanh").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => 0.5f * x * (1f + Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x) =>
        x * 0.5f * (Vector256<float>.One + Tanh((x + (x * x * x * GeluCubic)) * SqrtTwoOverPi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => MathF.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sqrt(float x) => MathF.Sqrt(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> x) => Vector256.Sqrt(x);

    /// <summary>1 / x (Div's derivative with respect to its left operand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reciprocal(float x) => 1f / x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Reciprocal(Vector256<float> x) => Vector256<float>.One / x;

    /// <summary>x + c: Vector256 has no vector + scalar operator, so the scalar and vector forms share this name.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float AddScalar(float x, float c) => x + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddScalar(Vector256<float> x, float c) => x + Vector256.Create(c);

    /// <summary>PyTorch's clamp: min(max(x, lo), hi); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Clamp(float x, float lo, float hi) => float.IsNaN(x) ? x : MathF.Min(MathF.Max(x, lo), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> x, float lo, float hi)
    {
        Vector256<float> clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), clamped, x);
    }

    /// <summary>torch.where: a where the condition is nonzero, else b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Where(float condition, float a, float b) => condition != 0f ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Where(Vector256<float> condition, Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.Equals(condition, Vector256<float>.Zero), b, a);

    /// <summary>masked_fill: the value where the mask is nonzero, else x (the value may be -infinity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaskedFill(float x, float mask, float value) => mask != 0f ? value : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaskedFill(Vector256<float> x, Vector256<float> mask, float value) =>
        Vector256.ConditionalSelect(Vector256.Equals(mask, Vector256<float>.Zero), x, Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log(float x) => MathF.Log(x);

    /// <summary>Lane by lane: Log is rare in a chain and is not worth a vector polynomial here.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        x.CopyTo(lanes);
        for (int i = 0; i < lanes.Length; i++)
        {
            lanes[i] = MathF.Log(lanes[i]);
        }

        return Vector256.Create<float>(lanes);
    }

    /// <summary>
    /// softplus(x) = log(1 + exp(x)) as max(x, 0) + log(1 + exp(-|x|)): no overflow, and for t = exp(-|x|) below
    /// 1e-4 the series t - t^2/2 keeps the tail's relative accuracy where 1 + t rounds to 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x)
    {
        float t = MathF.Exp(-MathF.Abs(x));
        return MathF.Max(x, 0f) + (t < 1e-4f ? t * (1f - (0.5f * t)) : MathF.Log(1f + t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Softplus(Vector256<float> x)
    {
        Vector256<float> t = VectorMath.Exp(-Vector256.Abs(x));
        Vector256<float> series = t * (Vector256<float>.One - (t * 0.5f));
        Vector256<float> tail = Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256.Create(1e-4f)), series, Log(Vector256<float>.One + t));
        return Vector256.Max(x, Vector256<float>.Zero) + tail;
    }
}

/// <summary>
/// A generated fused elementwise chain of one to four leaves: the same FP32 formula on floats and on Vector256
/// lanes. The drivers (Cpu and ILGPU) are written once for every arity: a chain names the leaves it reads in
/// <see cref="Reads"/>, a per-chain constant, so the JIT drops the loads of the others, and a leaf slot it does not
/// read is passed no tensor at all.
/// </summary>
public interface IChain
{
    /// <summary>Bit k set: the formula reads leaf k.</summary>
    static abstract int Reads { get; }

    static abstract float Apply(float x0, float x1, float x2, float x3);

    static abstract Vector256<float> Apply(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3);
}
