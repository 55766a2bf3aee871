namespace Amp;

/// <summary>
/// A typed buffer on a device: a shape and a storage precision (FP32, or BF16/FP16 stored as 16 bits).
/// Host copies go through float and are converted with round-to-nearest-even into the storage precision.
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    private bool disposed;

    protected DeviceTensor(AmpDevice device, Precision precision, TensorShape shape)
    {
        Device = device;
        Precision = precision;
        Shape = shape;
    }

    public AmpDevice Device { get; }

    public Precision Precision { get; }

    public TensorShape Shape { get; }

    public int Length => Shape.ElementCount;

    public long SizeInBytes => (long)Length * Precision.SizeOf();

    public bool IsDisposed => disposed || Device.IsDisposed;

    /// <summary>Copies host floats in, rounding to the storage precision. The length must equal <see cref="Length"/>.</summary>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        ThrowIfDisposed();
        CheckLength(source.Length, nameof(source));
        CopyFromCore(source);
    }

    /// <summary>Copies the values out as floats (exact for every storage precision).</summary>
    public void CopyTo(Span<float> destination)
    {
        ThrowIfDisposed();
        CheckLength(destination.Length, nameof(destination));
        CopyToCore(destination);
    }

    /// <summary>
    /// The same storage seen with another shape of the same element count (a reshape view). Disposing the view
    /// leaves the storage to its owner.
    /// </summary>
    public DeviceTensor Reshape(params int[] shape)
    {
        ThrowIfDisposed();
        var newShape = new TensorShape(shape);
        if (newShape.ElementCount != Length)
        {
            throw new ArgumentException($"Cannot view {this} as {newShape}: {newShape.ElementCount} elements instead of {Length}.", nameof(shape));
        }

        return ViewCore(newShape);
    }

    /// <summary>The first elements of the storage seen as <paramref name="shape"/> (a memory-plan slot holding a smaller tensor).</summary>
    internal DeviceTensor Prefix(TensorShape shape)
    {
        ThrowIfDisposed();
        if (shape.ElementCount > Length)
        {
            throw new ArgumentException($"Cannot view the first {shape.ElementCount} elements of {this}: it has {Length}.", nameof(shape));
        }

        return ViewCore(shape);
    }

    public float[] ToArray()
    {
        var values = new float[Length];
        CopyTo(values);
        return values;
    }

    /// <summary>Copies the raw 16-bit patterns in (BF16 or FP16 storage only), without rounding.</summary>
    public void CopyFromBits(ReadOnlySpan<ushort> bits)
    {
        ThrowIfDisposed();
        if (Precision == Precision.Fp32)
        {
            throw new InvalidOperationException($"CopyFromBits needs 16-bit storage; {this} stores fp32.");
        }

        CheckLength(bits.Length, nameof(bits));
        CopyFromBitsCore(bits);
    }

    /// <summary>Copies the raw 16-bit patterns out (BF16 or FP16 storage only).</summary>
    public ushort[] ToBits()
    {
        ThrowIfDisposed();
        if (Precision == Precision.Fp32)
        {
            throw new InvalidOperationException($"ToBits needs 16-bit storage; {this} stores fp32.");
        }

        var bits = new ushort[Length];
        CopyToBitsCore(bits);
        return bits;
    }

    protected abstract void CopyFromCore(ReadOnlySpan<float> source);

    protected abstract void CopyToCore(Span<float> destination);

    protected abstract void CopyFromBitsCore(ReadOnlySpan<ushort> bits);

    protected abstract void CopyToBitsCore(Span<ushort> bits);

    private protected abstract DeviceTensor ViewCore(TensorShape shape);

    protected virtual void DisposeCore()
    {
    }

    /// <summary>True for a tensor from <see cref="AmpDevice.Allocate"/>, false for a view.</summary>
    internal bool OwnsStorage { get; set; }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            DisposeCore();
            if (OwnsStorage)
            {
                Device.Released(this);
            }
        }

        GC.SuppressFinalize(this);
    }

    internal void ThrowIfDisposed()
    {
        if (disposed)
        {
            throw new ObjectDisposedException(nameof(DeviceTensor), $"The tensor {Precision.Name()}{Shape} has been disposed.");
        }

        Device.ThrowIfDisposed();
    }

    private void CheckLength(int actual, string parameterName)
    {
        if (actual != Length)
        {
            throw new ArgumentException(
                $"'{parameterName}' has {actual} elements but the tensor {Precision.Name()}{Shape} holds {Length}.",
                parameterName);
        }
    }

    public override string ToString() => $"{Precision.Name()}{Shape} on {Device.Kind}";
}
