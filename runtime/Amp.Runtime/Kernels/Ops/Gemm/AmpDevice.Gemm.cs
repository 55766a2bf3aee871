namespace Amp;

// GEMM: the validated entry point, the Cpu dispatch by storage precision and the ILGPU SIMT kernel (the packed Cpu GEMM, the tensor-core kernel and cuBLAS have files of their own).
public abstract partial class AmpDevice
{
    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C (+ bias), FP32 accumulation, any storage precisions.
    /// Shapes: op(A) [m, k], op(B) [k, n], C [m, n]; a leading batch dimension on C batches the product,
    /// and an operand without one is shared by every batch entry (a weight applied to a batch of inputs).
    /// </summary>
    public void Gemm(DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions? options = null)
    {
        options ??= GemmOptions.Default;
        GemmProblem problem = GemmProblem.Validate(this, a, b, c, options);
        GemmObserver?.Invoke(a.Precision, b.Precision, c.Precision);
        GemmCore(problem, a, b, c, options);
    }

    /// <summary>
    /// Test hook: called with the storage precisions of A, B and C of every product. Cuda's tensor cores and cuBLAS take
    /// only uniform operands, so a training step whose products all read one precision stays on them.
    /// </summary>
    internal Action<Precision, Precision, Precision>? GemmObserver { get; set; }

    private protected abstract void GemmCore(GemmProblem problem, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options);
}
