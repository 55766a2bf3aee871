namespace Amp;

/// <summary>
/// A float tensor of a model definition. Calling a definition method directly runs it eagerly in FP64 with
/// plain loops: that same source is the reference every generated kernel is tested against. The generator
/// reads the method bodies; it never runs this code.
/// </summary>
public sealed class Tensor
{
    private readonly double[] values;
    private readonly int[] shape;

    /// <summary>Wraps <paramref name="values"/> (not copied) with the given shape.</summary>
    public Tensor(double[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        this.shape = EagerShape.Validate(shape, values.Length, nameof(values));
        this.values = values;
    }

    public static Tensor FromFloats(ReadOnlySpan<float> values, params int[] shape)
    {
        var data = new double[values.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = values[i];
        }

        return new Tensor(data, shape);
    }

    public IReadOnlyList<int> Shape => shape;

    public int Length => values.Length;

    /// <summary>The last dimension (layers apply to it).</summary>
    public int Columns => shape.Length == 0 ? 1 : shape[^1];

    public int Rows => Length / Math.Max(Columns, 1);

    internal double[] Values => values;

    internal int[] Dims => shape;

    public double this[int index] => values[index];

    public double[] ToArray() => (double[])values.Clone();

    public float[] ToFloatArray() => Array.ConvertAll(values, v => (float)v);

    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    public static Tensor operator *(Tensor a, float factor) => Ops.Scale(a, factor);

    public static Tensor operator *(float factor, Tensor a) => Ops.Scale(a, factor);

    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary>x / c is x * (1 / c), as the generator plans it (one rounding of 1 / c, then a Scale).</summary>
    public static Tensor operator /(Tensor a, float divisor) => Ops.Scale(a, 1f / divisor);

    public static Tensor operator +(Tensor a, float value) => Ops.AddScalar(a, value);

    public static Tensor operator +(float value, Tensor a) => Ops.AddScalar(a, value);

    public static Tensor operator -(Tensor a, float value) => Ops.AddScalar(a, -value);

    /// <summary>c - x is (-1) x + c.</summary>
    public static Tensor operator -(float value, Tensor a) => Ops.AddScalar(Ops.Scale(a, -1f), value);

    public override string ToString() => $"Tensor{EagerShape.Format(shape)}";
}

/// <summary>Integer token ids (inputs of <see cref="Embedding"/>), with a shape.</summary>
public sealed class Tokens
{
    public Tokens(int[] ids, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Shape = EagerShape.Validate(shape, ids.Length, nameof(ids));
        Ids = ids;
    }

    public int[] Ids { get; }

    public IReadOnlyList<int> Shape { get; }

    public override string ToString() => $"Tokens{EagerShape.Format(Shape)}";
}

/// <summary>Integer class targets in [0, classes), one per row of the logits.</summary>
public sealed class Labels
{
    public Labels(int[] classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        Classes = classes;
    }

    public int[] Classes { get; }

    public int Length => Classes.Length;

    public override string ToString() => $"Labels[{Classes.Length}]";
}

internal static class EagerShape
{
    public static int[] Validate(int[]? shape, int length, string valuesName)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Every dimension must be positive; got {Format(shape)}.", nameof(shape));
            }

            count *= d;
        }

        if (count != length)
        {
            throw new ArgumentException($"{valuesName} has {length} elements but the shape {Format(shape)} needs {count}.", valuesName);
        }

        return (int[])shape.Clone();
    }

    public static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    public static bool SameShape(IReadOnlyList<int> a, IReadOnlyList<int> b) => a.SequenceEqual(b);
}
