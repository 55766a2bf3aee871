namespace Amp;

/// <summary>
/// C = Alpha * op(A) * op(B) + Beta * C (+ Bias on every row), op(X) = X or X^T. Products accumulate in FP32
/// whatever the storage precisions are.
/// </summary>
public sealed record GemmOptions
{
    public static GemmOptions Default { get; } = new();

    /// <summary>Use A^T: A is stored [k, m] instead of [m, k].</summary>
    public bool TransposeA { get; init; }

    /// <summary>Use B^T: B is stored [n, k] instead of [k, n] (a PyTorch Linear weight is [out, in]: pass TransposeB).</summary>
    public bool TransposeB { get; init; }

    public float Alpha { get; init; } = 1f;

    /// <summary>0 ignores C's old contents entirely (NaN in C does not leak), as BLAS does.</summary>
    public float Beta { get; init; }

    /// <summary>Optional [n] vector added to every row of the result, in FP32 before C is rounded.</summary>
    public DeviceTensor? Bias { get; init; }

    /// <summary>
    /// Round FP32 operands to TF32 (10 mantissa bits, <see cref="Amp.Tf32"/>) before the products; accumulation stays
    /// FP32. BF16 and FP16 operands are exact in TF32 and unchanged. Cpu and ILGPU emulate it exactly (rounding while
    /// packing, or on load); cuBLAS runs it as <c>CUBLAS_COMPUTE_32F_FAST_TF32</c> on tensor cores.
    /// </summary>
    public bool Tf32 { get; init; }
}

/// <summary>Which implementation a device uses for GEMM; leaves room for tensor-core paths on Cuda.</summary>
public enum GemmPath
{
    /// <summary>Packed, register-blocked FMA micro-kernel on the host (Vector256/Vector512).</summary>
    CpuPacked,

    /// <summary>ILGPU SIMT kernel: one thread per output element, FP32 accumulation (the portable fallback).</summary>
    IlgpuSimt,

    /// <summary>ILGPU tensor-core kernels (mma.sync m16n8k16 for BF16/FP16 operands, m16n8k8 for FP32 operands under TF32); SIMT for the rest.</summary>
    IlgpuTensorCore,

    /// <summary>cuBLAS cublasGemmStridedBatchedEx (FP32 compute, tensor-op algorithm); ILGPU kernels for mixed operands.</summary>
    CuBlas,
}
