namespace Amp;

/// <summary>An immutable tensor shape; the last dimension is contiguous (row-major).</summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] dimensions;

    public TensorShape(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length == 0)
        {
            throw new ArgumentException("A tensor shape needs at least one dimension.", nameof(dimensions));
        }

        long count = 1;
        foreach (int d in dimensions)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Every dimension must be positive; got {Format(dimensions)}.", nameof(dimensions));
            }

            count *= d;
            if (count > int.MaxValue)
            {
                throw new ArgumentException($"Shape {Format(dimensions)} has more than {int.MaxValue} elements.", nameof(dimensions));
            }
        }

        this.dimensions = (int[])dimensions.Clone();
        ElementCount = (int)count;
    }

    public int Rank => dimensions.Length;

    public int ElementCount { get; }

    public int this[int axis] => dimensions[axis < 0 ? dimensions.Length + axis : axis];

    /// <summary>The last dimension: the length of one row.</summary>
    public int Columns => dimensions[^1];

    /// <summary>The product of every dimension but the last.</summary>
    public int Rows => ElementCount / Columns;

    public ReadOnlySpan<int> Dimensions => dimensions;

    public bool Equals(TensorShape? other) => other is not null && dimensions.AsSpan().SequenceEqual(other.dimensions);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in dimensions)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => Format(dimensions);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
