using System.Runtime.InteropServices;

namespace Amp;

/// <summary>
/// cuBLAS's <c>cublasGemmStridedBatchedEx</c> through P/Invoke: BF16/FP16 (or FP32) operands, FP32 compute, the
/// tensor-op algorithm. ILGPU's own CuBlas wrapper has no BF16 and accumulates Hgemm in FP16, so it is not used.
/// The library is found by probing <c>AMP_CUBLAS</c> (a path), then the usual library names.
/// </summary>
internal sealed unsafe class CuBlas : IDisposable
{
    public const int R32F = 0;
    public const int R16F = 2;
    public const int R16BF = 14;
    private const int Compute32F = 68;
    private const int Compute32FFastTf32 = 77;   // CUBLAS_COMPUTE_32F_FAST_TF32: FP32 operands rounded to TF32 on tensor cores
    private const int DefaultTensorOp = 99;

    private static readonly string[] Names =
        OperatingSystem.IsWindows() ? ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"] : ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];

    private readonly delegate* unmanaged<IntPtr, int> destroy;
    private readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int> gemm;
    private IntPtr handle;

    private CuBlas(IntPtr library, string path)
    {
        Path = path;
        var create = (delegate* unmanaged<IntPtr*, int>)NativeLibrary.GetExport(library, "cublasCreate_v2");
        destroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(library, "cublasDestroy_v2");
        gemm = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int>)
            NativeLibrary.GetExport(library, "cublasGemmStridedBatchedEx");
        IntPtr h;
        Check(create(&h), "cublasCreate_v2");
        handle = h;
    }

    /// <summary>The library file that was loaded.</summary>
    public string Path { get; }

    /// <summary>Loads cuBLAS and creates a handle; null, with the reason, when it is not there or does not start.</summary>
    public static CuBlas? TryLoad(out string reason)
    {
        string? configured = Environment.GetEnvironmentVariable("AMP_CUBLAS");
        IEnumerable<string> candidates = string.IsNullOrEmpty(configured) ? Names : [configured];
        foreach (string name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr library))
            {
                continue;
            }

            try
            {
                reason = string.Empty;
                return new CuBlas(library, name);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or InvalidOperationException)
            {
                reason = $"{name} loaded but could not be used: {e.Message}";
                return null;
            }
        }

        reason = string.IsNullOrEmpty(configured)
            ? $"cuBLAS not found (tried {string.Join(", ", Names)}; set AMP_CUBLAS to its path)"
            : $"AMP_CUBLAS={configured} could not be loaded";
        return null;
    }

    /// <summary>
    /// Row-major C[b] = alpha op(A[b]) op(B[b]) + beta C[b] on device pointers, through the column-major identity
    /// C^T = op(B)^T op(A)^T: cuBLAS gets B first, with m = N and n = M.
    /// </summary>
    public void Gemm(GemmProblem p, IntPtr a, int aType, IntPtr b, int bType, IntPtr c, int cType, float beta)
    {
        float alpha = p.Alpha;
        int opA = p.TransposeA ? 1 : 0, opB = p.TransposeB ? 1 : 0;
        Check(gemm(handle, opB, opA, p.N, p.M, p.K, &alpha, b, bType, p.Ldb, p.StrideB, a, aType, p.Lda, p.StrideA, &beta, c, cType, p.Ldc, p.StrideC, p.Batch,
                p.Tf32 && aType == R32F && bType == R32F ? Compute32FFastTf32 : Compute32F, DefaultTensorOp),
            "cublasGemmStridedBatchedEx");
    }

    public void Dispose()
    {
        if (handle != IntPtr.Zero)
        {
            destroy(handle);
            handle = IntPtr.Zero;
        }
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"{call} returned cuBLAS status {status}.");
        }
    }
}
