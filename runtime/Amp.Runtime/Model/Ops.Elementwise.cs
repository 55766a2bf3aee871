namespace Amp;

// Elementwise ops, eager FP64. The optional precision argument is an explicit per-call override for the
// compiled model (the analyzers police it); the eager reference ignores it.
public static partial class Ops
{
    /// <summary>a + b; b may be broadcast when its shape is a suffix of a's (or a's of b's).</summary>
    public static Tensor Add(Tensor a, Tensor b, Precision? precision = null) => Broadcast(a, b, static (x, y) => x + y);

    public static Tensor Sub(Tensor a, Tensor b, Precision? precision = null) => Broadcast(a, b, static (x, y) => x - y);

    public static Tensor Mul(Tensor a, Tensor b, Precision? precision = null) => Broadcast(a, b, static (x, y) => x * y);

    /// <summary>x * factor, with a compile-time constant factor.</summary>
    public static Tensor Scale(Tensor x, float factor, Precision? precision = null) => Map(x, v => v * factor);

    public static Tensor Relu(Tensor x, Precision? precision = null) => Map(x, static v => Math.Max(v, 0));

    /// <summary>The tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    public static Tensor Gelu(Tensor x, Precision? precision = null) =>
        Map(x, static v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v)))));

    public static Tensor Silu(Tensor x, Precision? precision = null) => Map(x, static v => v / (1 + Math.Exp(-v)));

    public static Tensor Tanh(Tensor x, Precision? precision = null) => Map(x, Math.Tanh);

    public static Tensor Sigmoid(Tensor x, Precision? precision = null) => Map(x, static v => 1 / (1 + Math.Exp(-v)));

    public static Tensor Exp(Tensor x, Precision? precision = null) => Map(x, Math.Exp);

    public static Tensor Log(Tensor x, Precision? precision = null) => Map(x, Math.Log);

    /// <summary>log(1 + exp(x)), as torch.nn.functional.softplus (beta 1); on PyTorch's FP32 autocast list.</summary>
    public static Tensor Softplus(Tensor x, Precision? precision = null) => Map(x, static v => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v))));

    /// <summary>a / b elementwise, NumPy broadcasting as <see cref="Add"/>; the wider input's precision (torch.div under autocast).</summary>
    public static Tensor Div(Tensor a, Tensor b, Precision? precision = null) => Broadcast(a, b, static (x, y) => x / y);

    /// <summary>The square root elementwise, computed in FP32 registers and stored in the input's precision (not on autocast's lists).</summary>
    public static Tensor Sqrt(Tensor x, Precision? precision = null) => Map(x, Math.Sqrt);

    /// <summary>x + value elementwise (<c>x + 1f</c>, <c>x - 0.5f</c>), in the input's precision.</summary>
    public static Tensor AddScalar(Tensor x, float value, Precision? precision = null) => Map(x, v => v + value);

    /// <summary>torch.clamp: min(max(x, min), max) elementwise, NaN kept; its gradient passes where min &lt;= x &lt;= max.</summary>
    public static Tensor Clamp(Tensor x, float min = float.NegativeInfinity, float max = float.PositiveInfinity, Precision? precision = null) =>
        Map(x, v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, min), max));

    private static Tensor Map(Tensor x, Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = new double[x.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = f(x.Values[i]);
        }

        return new Tensor(y, x.Dims);
    }

    private static Tensor Broadcast(Tensor a, Tensor b, Func<double, double, double> f)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        bool aLonger = a.Length >= b.Length;
        Tensor big = aLonger ? a : b, small = aLonger ? b : a;
        if (!big.Dims.AsSpan()[(big.Dims.Length - small.Dims.Length)..].SequenceEqual(small.Dims))
        {
            throw new ArgumentException(
                $"Shapes {EagerShape.Format(a.Shape)} and {EagerShape.Format(b.Shape)} do not broadcast: one must be a suffix of the other.", nameof(b));
        }

        var y = new double[big.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double x0 = big.Values[i], x1 = small.Values[i % small.Length];
            y[i] = aLonger ? f(x0, x1) : f(x1, x0);
        }

        return new Tensor(y, big.Dims);
    }
}
