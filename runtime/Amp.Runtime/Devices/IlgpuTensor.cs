using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

/// <summary>A tensor in an ILGPU accelerator's memory: float, ushort (BF16 bits) or ILGPU.Half elements.</summary>
internal sealed class IlgpuTensor : DeviceTensor
{
    public IlgpuTensor(IlgpuDevice device, Precision precision, TensorShape shape)
        : base(device, precision, shape)
    {
        Accelerator acc = device.Accelerator;
        Buffer = precision switch
        {
            Precision.Fp32 => Zeroed<float>(acc, shape.ElementCount),
            Precision.Bf16 => Zeroed<ushort>(acc, shape.ElementCount),
            Precision.Fp16 => Zeroed<KernelHalf>(acc, shape.ElementCount),
            _ => throw new ArgumentOutOfRangeException(nameof(precision)),
        };
    }

    private IlgpuTensor(IlgpuTensor storage, TensorShape shape)
        : base(storage.Device, storage.Precision, shape)
    {
        Buffer = storage.Buffer;
        ownsBuffer = false;
    }

    private readonly bool ownsBuffer = true;

    public MemoryBuffer Buffer { get; }

    /// <summary>
    /// This tensor's elements: the first <see cref="DeviceTensor.Length"/> of the storage. A memory-plan slot is as large
    /// as its largest tensor, and a smaller one is a view of its first elements; kernels see only those.
    /// </summary>
    public ArrayView<T> View<T>()
        where T : unmanaged
    {
        ArrayView<T> all = ((MemoryBuffer1D<T, Stride1D.Dense>)Buffer).View;
        return all.Length == Length ? all : all.SubView(0, Length);
    }

    /// <summary>A BF16 or FP16 tensor as its 16-bit patterns (what the tensor-core kernel and cuBLAS read).</summary>
    public ArrayView<ushort> Bits16() => Precision == Precision.Bf16 ? View<ushort>() : View<KernelHalf>().Cast<ushort>();

    protected override void CopyFromCore(ReadOnlySpan<float> source)
    {
        switch (Precision)
        {
            case Precision.Fp32:
                Upload(View<float>(), source);
                break;
            case Precision.Bf16:
                var bits = new ushort[source.Length];
                Bf16Convert.FromFloats(source, bits);
                Upload<ushort>(View<ushort>(), bits);
                break;
            default:
                var halves = new System.Half[source.Length];
                HalfConvert.FromFloats(source, halves);
                Upload(View<KernelHalf>(), MemoryMarshal.Cast<System.Half, KernelHalf>(halves.AsSpan()));
                break;
        }
    }

    protected override void CopyToCore(Span<float> destination)
    {
        switch (Precision)
        {
            case Precision.Fp32:
                Download(View<float>(), destination);
                break;
            case Precision.Bf16:
                var bits = new ushort[destination.Length];
                Download<ushort>(View<ushort>(), bits);
                Bf16Convert.ToFloats(bits, destination);
                break;
            default:
                var halves = new System.Half[destination.Length];
                Download(View<KernelHalf>(), MemoryMarshal.Cast<System.Half, KernelHalf>(halves.AsSpan()));
                HalfConvert.ToFloats(halves, destination);
                break;
        }
    }

    protected override void CopyFromBitsCore(ReadOnlySpan<ushort> bits)
    {
        if (Precision == Precision.Bf16)
        {
            Upload(View<ushort>(), bits);
        }
        else
        {
            Upload(View<KernelHalf>(), MemoryMarshal.Cast<ushort, KernelHalf>(bits));
        }
    }

    protected override void CopyToBitsCore(Span<ushort> bits)
    {
        if (Precision == Precision.Bf16)
        {
            Download(View<ushort>(), bits);
        }
        else
        {
            Download(View<KernelHalf>(), MemoryMarshal.Cast<ushort, KernelHalf>(bits));
        }
    }

    protected override void DisposeCore()
    {
        if (ownsBuffer)
        {
            // A kernel queued in stream order may still read or write it.
            ((IlgpuDevice)Device).Accelerator.Synchronize();
            Buffer.Dispose();
        }
    }

    private protected override DeviceTensor ViewCore(TensorShape shape) => new IlgpuTensor(this, shape);

    private static MemoryBuffer Zeroed<T>(Accelerator accelerator, int length)
        where T : unmanaged
    {
        MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        accelerator.Synchronize();
        return buffer;
    }

    // ILGPU's CopyFromCPU/CopyToCPU(ref T, length) take the address of the host memory (Unsafe.AsPointer) without
    // pinning it. A managed array that the GC moves during the copy (another thread allocates) is then read or
    // written at its old address: the copy reads back zeros, or writes over freed memory and crashes the process.
    // Both were seen on IlgpuCpu under the test suite's load; the host memory is pinned for the copy here.
    internal static unsafe void Upload<T>(ArrayView<T> view, ReadOnlySpan<T> source)
        where T : unmanaged
    {
        fixed (T* pinned = source)
        {
            view.CopyFromCPU(ref *pinned, source.Length);

            // The host memory stays pinned until the copy is done, whatever the stream does.
            view.GetAccelerator().Synchronize();
        }
    }

    internal static unsafe void Download<T>(ArrayView<T> view, Span<T> destination)
        where T : unmanaged
    {
        fixed (T* pinned = destination)
        {
            // The host reads: every kernel queued before must have run (stream order), and the copy must be done.
            view.GetAccelerator().Synchronize();
            view.CopyToCPU(ref *pinned, destination.Length);
            view.GetAccelerator().Synchronize();
        }
    }
}
