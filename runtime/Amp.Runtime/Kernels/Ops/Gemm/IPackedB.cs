namespace Amp;

/// <summary>
/// Where the Cpu GEMM's op(B) comes from: <see cref="Pack"/> writes the block op(B)[p0.., j0..] (kc x nc) of batch entry
/// `batch` as ceil(nc/16) panels of kc x 16 FP32 values, zero beyond nc (the micro-kernel's layout, see
/// <see cref="CpuGemmPacking.PackB"/>). A stored matrix is one source; a convolution's columns gathered from the image
/// (<see cref="ConvColumns{TX}"/>) are another, so the columns are never written out.
/// </summary>
internal unsafe interface IPackedB
{
    /// <summary>True when the values come from FP32 storage (TF32 rounds only those).</summary>
    bool IsFp32 { get; }

    /// <param name="run">Scratch of at least max(Kc, Nc) floats.</param>
    void Pack(int batch, int p0, int j0, int kc, int nc, float* packed, float* run);
}
