using ILGPU;

namespace Amp;

/// <summary>GEMM sizes and strides as a kernel argument (a plain struct: ILGPU passes it by value).</summary>
internal struct GemmKernelArgs
{
    public int M, N, K, Lda, Ldb, Ldc;
    public long StrideA, StrideB, StrideC;
    public int TransposeA, TransposeB, HasBias, Tf32;
    public float Alpha, Beta;
}

/// <summary>
/// The ILGPU kernels of the library (each op's in its Kernels/Ops folder), static methods generic over their storage types. Elementwise
/// kernels use grid-stride loops (launched with at most the accelerator's thread count) so the CPU
/// simulator runs them with few threads; row kernels take one row per thread.
/// </summary>
internal static partial class IlgpuKernels
{
}

/// <summary>
/// ILGPU kernels of the backward ops. Gradients are FP32 and accumulated (+=); saved activations arrive widened to
/// FP32. Reductions over rows run one thread per column, in row order, so results do not depend on scheduling.
/// </summary>
internal static partial class IlgpuBackwardKernels
{
}

/// <summary>ILGPU kernels of the model ops (norm affine, gather, layout, mask, NLL); grid-stride loops as in <see cref="IlgpuKernels"/>.</summary>
internal static partial class IlgpuModelKernels
{
}
