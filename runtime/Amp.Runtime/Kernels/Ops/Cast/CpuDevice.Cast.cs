using System.Runtime.CompilerServices;
namespace Amp;

// Casts between storage precisions (round to nearest even).
internal sealed partial class CpuDevice
{
    private protected override void CastCore(DeviceTensor source, DeviceTensor destination)
    {
        var src = (CpuTensor)source;
        var dst = (CpuTensor)destination;
        int n = source.Length;
        int chunks = (n + ElementChunk - 1) / ElementChunk;
        CpuParallel.For(chunks, ElementChunk, ElementChunk, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            for (int c = start; c < end; c++)
            {
                int offset = c * ElementChunk;
                Span<float> buffer = scratch.AsSpan(0, Math.Min(ElementChunk, n - offset));
                src.Read(offset, buffer);
                dst.Write(offset, buffer);
            }
        });
    }
}
