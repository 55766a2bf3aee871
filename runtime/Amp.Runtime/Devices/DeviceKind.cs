namespace Amp;

/// <summary>Where kernels run.</summary>
public enum DeviceKind
{
    /// <summary>Cuda when a GPU is present, else Cpu; the AMP_DEVICE environment variable overrides.</summary>
    Auto,

    /// <summary>Vectorised, multithreaded host code: the fast path without a GPU.</summary>
    Cpu,

    /// <summary>ILGPU's CPU accelerator, a GPU simulator: runs the very ILGPU kernels, slowly, to check them.</summary>
    IlgpuCpu,

    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda,
}
