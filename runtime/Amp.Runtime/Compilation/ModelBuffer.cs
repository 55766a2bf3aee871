namespace Amp.Compilation;

/// <summary>
/// A buffer of a compiled model (PyTorch's <c>register_buffer</c>): an FP32 tensor on the device that the kernels
/// read and update (BatchNorm's running statistics), or a host-side 64-bit counter (<c>num_batches_tracked</c>).
/// Neither is trained: no gradient, no optimizer state, no working copy.
/// </summary>
public sealed class ModelBuffer : IBuffer, IDisposable
{
    private readonly int[] shape;
    private long count;

    internal ModelBuffer(CompiledModel owner, string name, int[] shape, ReadOnlySpan<float> values, bool counter)
    {
        Name = name;
        this.shape = (int[])shape.Clone();
        IsCounter = counter;
        if (counter)
        {
            count = ToCount(values, name);
        }
        else
        {
            Values = owner.Device.FromHost(values, Precision.Fp32, shape);
        }
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape => shape;

    public string DType => IsCounter ? "I64" : "F32";

    /// <summary>A rank-0 I64 counter kept on the host.</summary>
    public bool IsCounter { get; }

    /// <summary>The FP32 values on the device (null for a counter).</summary>
    public DeviceTensor? Values { get; }

    /// <summary>The counter's value (0 for a tensor buffer).</summary>
    public long Count => count;

    /// <summary>The values as an FP32 tensor for a kernel; a counter has none.</summary>
    public DeviceTensor Tensor => Values ?? throw new InvalidOperationException($"Buffer '{Name}' is a counter, not a tensor.");

    /// <summary>Adds one to the counter (BatchNorm's num_batches_tracked, once per training pass that updates state).</summary>
    public void Increment()
    {
        if (!IsCounter)
        {
            throw new InvalidOperationException($"Buffer '{Name}' is a tensor, not a counter.");
        }

        count++;
    }

    public float[] Read() => IsCounter ? [count] : Values!.ToArray();

    public void Write(ReadOnlySpan<float> values)
    {
        int expected = IsCounter ? 1 : Values!.Length;
        if (values.Length != expected)
        {
            throw new ArgumentException($"Buffer '{Name}' has shape {EagerShape.Format(shape)} ({expected} values); got {values.Length} values.", nameof(values));
        }

        if (IsCounter)
        {
            count = ToCount(values, Name);
        }
        else
        {
            Values!.CopyFrom(values);
        }
    }

    /// <summary>Sets the counter exactly (a checkpoint's I64 value).</summary>
    internal void WriteCount(long value) => count = IsCounter && value >= 0
        ? value
        : throw new ArgumentOutOfRangeException(nameof(value), value, $"Buffer '{Name}' takes a non-negative count.");

    private static long ToCount(ReadOnlySpan<float> values, string name)
    {
        float value = values.Length == 1 ? values[0] : float.NaN;
        return value >= 0 && value == MathF.Floor(value) && value < 9.2e18f
            ? (long)value
            : throw new ArgumentException($"Buffer '{name}' is a counter: it takes one whole, non-negative number.", nameof(values));
    }

    public void Dispose() => Values?.Dispose();

    public override string ToString() => $"{Name} {EagerShape.Format(shape)} {DType}";
}
