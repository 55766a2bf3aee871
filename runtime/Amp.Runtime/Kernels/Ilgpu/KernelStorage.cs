using ILGPU;
using KernelHalf = ILGPU.Half;

namespace Amp;

/// <summary>
/// How an ILGPU kernel reads and writes one storage element as float. Kernels are generic over
/// (element type, storage struct); ILGPU specialises each instantiation, so the calls inline.
/// </summary>
internal interface IKernelStorage<T>
    where T : unmanaged
{
    float ToFloat(T value);

    T FromFloat(float value);
}

internal readonly struct Fp32Storage : IKernelStorage<float>
{
    public float ToFloat(float value) => value;

    public float FromFloat(float value) => value;
}

/// <summary>BF16 has no ILGPU type: 16 bits in a ushort; the same rounding as <see cref="Bf16.RoundToBits"/>.</summary>
internal readonly struct Bf16Storage : IKernelStorage<ushort>
{
    public float ToFloat(ushort value) => Interop.IntAsFloat((uint)value << 16);

    public ushort FromFloat(float value)
    {
        if (float.IsNaN(value))
        {
            return Bf16.NaNBits;
        }

        uint u = Interop.FloatAsInt(value);
        return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
}

/// <summary>FP16 as ILGPU.Half (bit-compatible with System.Half), converted through <see cref="HalfBits"/> (round to nearest even).</summary>
internal readonly struct Fp16Storage : IKernelStorage<KernelHalf>
{
    public float ToFloat(KernelHalf value) => Interop.IntAsFloat(HalfBits.ToFloatBits(Interop.FloatAsInt(value)));

    public KernelHalf FromFloat(float value) => Interop.IntAsFloat(HalfBits.FromFloatBits(Interop.FloatAsInt(value)));
}
