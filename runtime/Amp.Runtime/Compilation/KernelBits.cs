using ILGPU;
using KernelHalf = ILGPU.Half;

namespace Amp.Compilation;

/// <summary>
/// Storage conversions for generated ILGPU kernels: BF16 lives in a ushort, FP16 in ILGPU.Half, and both
/// round to nearest even exactly as the host conversions do (integer arithmetic, so every backend agrees).
/// </summary>
public static class KernelBits
{
    public static float ToFloat(float value) => value;

    public static float ToFloat(ushort bf16) => default(Bf16Storage).ToFloat(bf16);

    public static float ToFloat(KernelHalf fp16) => default(Fp16Storage).ToFloat(fp16);

    public static ushort ToBf16(float value) => default(Bf16Storage).FromFloat(value);

    public static KernelHalf ToHalf(float value) => default(Fp16Storage).FromFloat(value);
}

/// <summary>
/// The extent of a generated elementwise kernel: the output length, the grid stride, and the length of each
/// input (an input shorter than the output is broadcast: element i reads index i % length).
/// </summary>
public struct ChainExtent
{
    public int Length;
    public int Stride;
    public int N0;
    public int N1;
    public int N2;
    public int N3;
}
