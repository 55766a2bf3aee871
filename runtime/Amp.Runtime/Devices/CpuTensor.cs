using System.Runtime.InteropServices;

namespace Amp;

/// <summary>A tensor in host memory: float[], Bf16[] or Half[] by storage precision.</summary>
internal sealed class CpuTensor : DeviceTensor
{
    public CpuTensor(CpuDevice device, Precision precision, TensorShape shape)
        : base(device, precision, shape)
    {
        Data = precision switch
        {
            Precision.Fp32 => new float[shape.ElementCount],
            Precision.Bf16 => new Bf16[shape.ElementCount],
            Precision.Fp16 => new Half[shape.ElementCount],
            _ => throw new ArgumentOutOfRangeException(nameof(precision)),
        };
    }

    private CpuTensor(CpuTensor storage, TensorShape shape)
        : base(storage.Device, storage.Precision, shape)
    {
        Data = storage.Data;
    }

    public Array Data { get; }

    /// <summary>
    /// The storage array. It may be longer than <see cref="DeviceTensor.Length"/>: a memory-plan slot is as large as its
    /// largest tensor and a smaller one is a view of its first elements. Kernels index it by the tensor's shape (or use
    /// <see cref="Elements{T}"/>), never by the array's length.
    /// </summary>
    public T[] As<T>()
        where T : unmanaged => (T[])Data;

    /// <summary>This tensor's elements: the first <see cref="DeviceTensor.Length"/> of the storage.</summary>
    public Span<T> Elements<T>()
        where T : unmanaged => As<T>().AsSpan(0, Length);

    private Span<ushort> Bits => Precision == Precision.Bf16
        ? MemoryMarshal.Cast<Bf16, ushort>(Elements<Bf16>())
        : MemoryMarshal.Cast<Half, ushort>(Elements<Half>());

    protected override void CopyFromCore(ReadOnlySpan<float> source)
    {
        switch (Precision)
        {
            case Precision.Fp32: HostStorage.FromFloats<float>(source, Elements<float>()); break;
            case Precision.Bf16: HostStorage.FromFloats<Bf16>(source, Elements<Bf16>()); break;
            default: HostStorage.FromFloats<Half>(source, Elements<Half>()); break;
        }
    }

    protected override void CopyToCore(Span<float> destination)
    {
        switch (Precision)
        {
            case Precision.Fp32: HostStorage.ToFloats<float>(Elements<float>(), destination); break;
            case Precision.Bf16: HostStorage.ToFloats<Bf16>(Elements<Bf16>(), destination); break;
            default: HostStorage.ToFloats<Half>(Elements<Half>(), destination); break;
        }
    }

    private protected override DeviceTensor ViewCore(TensorShape shape) => new CpuTensor(this, shape);

    protected override void CopyFromBitsCore(ReadOnlySpan<ushort> bits) => bits.CopyTo(Bits);

    protected override void CopyToBitsCore(Span<ushort> bits) => Bits.CopyTo(bits);
}

internal static class CpuTensorRows
{
    /// <summary>Reads <paramref name="destination"/>.Length elements from <paramref name="offset"/> as floats.</summary>
    public static void Read(this CpuTensor t, int offset, Span<float> destination)
    {
        switch (t.Precision)
        {
            case Precision.Fp32: t.As<float>().AsSpan(offset, destination.Length).CopyTo(destination); break;
            case Precision.Bf16: HostStorage.ToFloats<Bf16>(t.As<Bf16>().AsSpan(offset, destination.Length), destination); break;
            default: HostStorage.ToFloats<Half>(t.As<Half>().AsSpan(offset, destination.Length), destination); break;
        }
    }

    /// <summary>Writes floats at <paramref name="offset"/>, rounding to the storage precision.</summary>
    public static void Write(this CpuTensor t, int offset, ReadOnlySpan<float> source)
    {
        switch (t.Precision)
        {
            case Precision.Fp32: source.CopyTo(t.As<float>().AsSpan(offset, source.Length)); break;
            case Precision.Bf16: HostStorage.FromFloats<Bf16>(source, t.As<Bf16>().AsSpan(offset, source.Length)); break;
            default: HostStorage.FromFloats<Half>(source, t.As<Half>().AsSpan(offset, source.Length)); break;
        }
    }
}
