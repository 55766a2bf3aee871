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
        if (small.Dims.Length <= big.Dims.Length && big.Dims.AsSpan()[(big.Dims.Length - small.Dims.Length)..].SequenceEqual(small.Dims))
        {
            // A suffix repeats whole: index by modulo (the common case: a bias, a scalar).
            var y = new double[big.Length];
            for (int i = 0; i < y.Length; i++)
            {
                double x0 = big.Values[i], x1 = small.Values[i % small.Length];
                y[i] = aLonger ? f(x0, x1) : f(x1, x0);
            }

            return new Tensor(y, big.Dims);
        }

        return BroadcastMap([a, b], v => f(v[0], v[1]));
    }

    /// <summary>
    /// f over the elements of <paramref name="xs"/> broadcast by NumPy's rules: shapes aligned at their last dimension,
    /// each dimension equal or 1 (a 1 repeats), missing leading dimensions count as 1.
    /// </summary>
    private static Tensor BroadcastMap(Tensor[] xs, Func<double[], double> f)
    {
        int rank = xs.Max(t => t.Dims.Length);
        int[] shape = Enumerable.Repeat(1, rank).ToArray();
        foreach (Tensor t in xs)
        {
            for (int j = 0; j < t.Dims.Length; j++)
            {
                int at = rank - t.Dims.Length + j, d = t.Dims[j];
                if (d != 1 && shape[at] != 1 && shape[at] != d)
                {
                    throw new ArgumentException(
                        $"Shapes {string.Join(" and ", xs.Select(x => EagerShape.Format(x.Shape)))} do not broadcast: each dimension must match or be 1.", nameof(xs));
                }

                shape[at] = d != 1 ? d : shape[at];
            }
        }

        // Per input, the step in its values for a step of each output dimension: 0 where it repeats.
        var steps = new int[xs.Length][];
        for (int k = 0; k < xs.Length; k++)
        {
            int[] dims = xs[k].Dims;
            steps[k] = new int[rank];
            int step = 1;
            for (int j = rank - 1; j >= 0; j--)
            {
                int own = j - (rank - dims.Length);
                int d = own >= 0 ? dims[own] : 1;
                steps[k][j] = d == 1 ? 0 : step;
                step *= d;
            }
        }

        int length = shape.Aggregate(1, (p, d) => p * d);
        var y = new double[length];
        var index = new int[rank];
        var at0 = new int[xs.Length];
        var values = new double[xs.Length];
        for (int i = 0; i < length; i++)
        {
            for (int k = 0; k < xs.Length; k++)
            {
                values[k] = xs[k].Values[at0[k]];
            }

            y[i] = f(values);
            for (int j = rank - 1; j >= 0; j--)
            {
                index[j]++;
                for (int k = 0; k < xs.Length; k++)
                {
                    at0[k] += steps[k][j];
                }

                if (index[j] < shape[j])
                {
                    break;
                }

                for (int k = 0; k < xs.Length; k++)
                {
                    at0[k] -= steps[k][j] * shape[j];
                }

                index[j] = 0;
            }
        }

        return new Tensor(y, shape);
    }

    /// <summary>
    /// <paramref name="x"/> where <paramref name="condition"/> is nonzero, else <paramref name="y"/> (torch.where; the
    /// condition is a float tensor, 0 false), NumPy broadcasting over the three; the wider of x and y's precisions.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y, Precision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return BroadcastMap([condition, x, y], static v => v[0] != 0 ? v[1] : v[2]);
    }

    /// <summary>
    /// <paramref name="value"/> where <paramref name="mask"/> is nonzero, else x (Tensor.masked_fill): an attention mask
    /// [Batch, 1, T, T] with <c>float.NegativeInfinity</c> before a Softmax; the mask broadcasts to x's shape.
    /// </summary>
    public static Tensor MaskedFill(Tensor x, Tensor mask, float value, Precision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(mask);
        return BroadcastMap([x, mask], v => v[1] != 0 ? value : v[0]);
    }
}
