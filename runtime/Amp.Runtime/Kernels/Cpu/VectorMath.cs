using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>Vectorised FP32 primitives for the Cpu row kernels.</summary>
internal static class VectorMath
{
    private const float ExpUpper = 88.3762626647949f;   // above: exp overflows float
    private const float ExpLower = -87.3365447504f;     // below: exp is under the smallest normal; flush to 0

    /// <summary>
    /// exp(x) to about 2 ulp (Cephes expf): x = n ln2 + r with |r| &lt;= ln2/2, a degree-5 polynomial for
    /// e^r, and 2^n built in the exponent bits. Overflow gives +inf, tiny results 0, NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLower)), Vector256.Create(ExpUpper));
        Vector256<float> n = Vector256.Floor((clamped * 1.44269504088896341f) + Vector256.Create(0.5f));
        Vector256<float> r = clamped - (n * 0.693359375f) - (n * -2.12194440e-4f);
        Vector256<float> r2 = r * r;
        Vector256<float> y = Vector256.Create(1.9875691500e-4f);
        y = (y * r) + Vector256.Create(1.3981999507e-3f);
        y = (y * r) + Vector256.Create(8.3334519073e-3f);
        y = (y * r) + Vector256.Create(4.1665795894e-2f);
        y = (y * r) + Vector256.Create(1.6666665459e-1f);
        y = (y * r) + Vector256.Create(5.0000001201e-1f);
        y = (y * r2) + r + Vector256<float>.One;
        Vector256<int> exponent = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23);
        Vector256<float> result = y * exponent.AsSingle();
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpUpper)), Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLower)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            acc0 += Vector256.LoadUnsafe(ref r, (nuint)i);
            acc1 += Vector256.LoadUnsafe(ref r, (nuint)(i + 8));
        }

        float sum = Vector256.Sum(acc0 + acc1);
        for (; i < x.Length; i++)
        {
            sum += x[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float max = float.NegativeInfinity;
        if (x.Length >= 8)
        {
            Vector256<float> acc = Vector256.Create(float.NegativeInfinity);
            Vector256<float> nan = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref r, (nuint)i);
                nan |= ~Vector256.Equals(v, v);
                acc = Vector256.Max(acc, v);
            }

            if (nan != Vector256<float>.Zero)
            {
                return float.NaN;
            }

            for (int k = 0; k < 8; k++)
            {
                max = MathF.Max(max, acc[k]);
            }
        }

        for (; i < x.Length; i++)
        {
            max = MathF.Max(max, x[i]);   // MathF.Max propagates NaN
        }

        return max;
    }

    /// <summary>x[i] = exp(x[i] - shift); returns the FP32 sum of the results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpShiftedInPlace(Span<float> x, float shift)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            Vector256<float> e = Exp(Vector256.LoadUnsafe(ref r, (nuint)i) - Vector256.Create(shift));
            e.StoreUnsafe(ref r, (nuint)i);
            acc += e;
        }

        float sum = Vector256.Sum(acc);
        if (i < x.Length)
        {
            // Tail through the same vector formula so every element uses one exp.
            Span<float> tail = stackalloc float[8];
            tail.Fill(float.NegativeInfinity);
            x[i..].CopyTo(tail);
            Vector256<float> e = Exp(Vector256.Create<float>(tail) - Vector256.Create(shift));
            for (int k = 0; i + k < x.Length; k++)
            {
                x[i + k] = e[k];
                sum += e[k];
            }
        }

        return sum;
    }

    /// <summary>x[i] = x[i] * s + t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleShift(Span<float> x, float s, float t)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            ((Vector256.LoadUnsafe(ref r, (nuint)i) * s) + Vector256.Create(t)).StoreUnsafe(ref r, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            x[i] = (x[i] * s) + t;
        }
    }

    /// <summary>Sum of (x[i] - c)^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumSquaredDeviation(ReadOnlySpan<float> x, float c)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            Vector256<float> d = Vector256.LoadUnsafe(ref r, (nuint)i) - Vector256.Create(c);
            acc += d * d;
        }

        float sum = Vector256.Sum(acc);
        for (; i < x.Length; i++)
        {
            float d = x[i] - c;
            sum += d * d;
        }

        return sum;
    }

    /// <summary>y += a * x, vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(y[i..]) + (va * new Vector<float>(x[i..]))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>y += a, vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScalar(Span<float> y, float a)
    {
        int i = 0;
        var va = new Vector<float>(a);
        for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(y[i..]) + va).CopyTo(y[i..]);
        }

        for (; i < y.Length; i++)
        {
            y[i] += a;
        }
    }

    /// <summary>result = a * b elementwise, vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(a[i..]) * new Vector<float>(b[i..])).CopyTo(result[i..]);
        }

        for (; i < a.Length; i++)
        {
            result[i] = a[i] * b[i];
        }
    }

    /// <summary>sum of a * b, vectorised (FP32 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        Vector<float> acc = Vector<float>.Zero;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        }

        float sum = Vector.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>sum of a * (b - c), vectorised: the centred product without the cancellation of dot(a, b) - c sum(a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotCentered(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c)
    {
        int i = 0;
        Vector<float> acc = Vector<float>.Zero, centre = new(c);
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += new Vector<float>(a[i..]) * (new Vector<float>(b[i..]) - centre);
        }

        float sum = Vector.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * (b[i] - c);
        }

        return sum;
    }

    /// <summary>y[i] = max(y[i], x[i]), vectorised; NaN wins (as PyTorch's max pooling propagates it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxInPlace(Span<float> y, ReadOnlySpan<float> x)
    {
        int i = 0;
        for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var a = new Vector<float>(y[i..]);
            var b = new Vector<float>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(a, b) | ~Vector.Equals(a, a), a, b).CopyTo(y[i..]);
        }

        for (; i < y.Length; i++)
        {
            y[i] = MaxOrNaN(y[i], x[i]);
        }
    }

    /// <summary>The larger of a and b, or NaN when either is NaN.</summary>
    public static float MaxOrNaN(float a, float b) => a > b || float.IsNaN(a) ? a : b;
}
