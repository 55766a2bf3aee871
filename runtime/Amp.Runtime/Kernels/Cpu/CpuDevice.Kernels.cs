namespace Amp;

// What the Cpu implementations of every op share (Kernels/Ops/*/CpuDevice.*.cs).
internal sealed partial class CpuDevice
{
    /// <summary>Elements per work item of the elementwise kernels split across cores.</summary>
    private const int ElementChunk = 4096;
}
