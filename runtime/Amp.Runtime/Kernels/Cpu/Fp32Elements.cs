using System.Buffers;

namespace Amp;

/// <summary>
/// A tensor's elements as FP32 for a Cpu kernel that computes in FP32: the FP32 tensor's own array, or for a BF16/FP16
/// tensor (a low-precision activation gradient, PyTorch's rule) a pooled widened copy. A copy of an accumulated tensor
/// (<c>dx += ...</c>) is rounded back once on Dispose, so a kernel adds its whole contribution before the one rounding.
/// </summary>
internal readonly struct Fp32Elements : IDisposable
{
    private readonly CpuTensor? copied;
    private readonly bool accumulate;

    public Fp32Elements(DeviceTensor tensor, bool accumulate = false)
    {
        var t = (CpuTensor)tensor;
        this.accumulate = accumulate;
        if (t.Precision == Precision.Fp32)
        {
            Values = t.As<float>();
            return;
        }

        Values = ArrayPool<float>.Shared.Rent(t.Length);
        t.Read(0, Values.AsSpan(0, t.Length));
        copied = t;
    }

    /// <summary>The elements; a pooled copy may be longer than the tensor, so kernels index within its length.</summary>
    public float[] Values { get; }

    public void Dispose()
    {
        if (copied is null)
        {
            return;
        }

        if (accumulate)
        {
            copied.Write(0, Values.AsSpan(0, copied.Length));
        }

        ArrayPool<float>.Shared.Return(Values);
    }
}
