using System.Buffers;

namespace Amp;

/// <summary>Splits row or element ranges across cores, and does small work on the calling thread.</summary>
internal static class CpuParallel
{
    /// <summary>Below this many elements a single thread is faster than the hand-off.</summary>
    private const long MinParallelWork = 1 << 15;

    /// <summary>Runs body(start, end, scratch) over [0, count) in chunks; scratch is a float buffer of <paramref name="scratchLength"/>.</summary>
    public static void For(int count, long workPerItem, int scratchLength, Action<int, int, float[]> body)
    {
        // One core (DOTNET_PROCESSOR_COUNT=1, a 1-CPU container): no hand-off at all. Chunks for a pool of one thread
        // only spin and yield (a third of a 1-thread MLP step went to sched_yield before).
        int cores = Environment.ProcessorCount;
        int chunks = cores == 1 || (long)count * workPerItem < MinParallelWork ? 1 : Math.Min(count, cores * 4);
        if (chunks <= 1)
        {
            Run(0, count, scratchLength, body);
            return;
        }

        CpuWorkers.For(chunks, c => Run((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks), scratchLength, body));
    }

    private static void Run(int start, int end, int scratchLength, Action<int, int, float[]> body)
    {
        float[] scratch = ArrayPool<float>.Shared.Rent(Math.Max(scratchLength, 1));
        try
        {
            body(start, end, scratch);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
