using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Amp;

/// <summary>
/// The Cpu device's own workers: ProcessorCount - 1 background threads that share out, with the calling thread, the items
/// of one parallel loop. A training step runs dozens of kernels back to back, so a worker spins for the next loop for a
/// short while (<see cref="SpinMicroseconds"/>) before it sleeps: the thread pool's hand-off (a wake-up per loop, then its
/// own spinning and yielding) was about a tenth of a 2-thread GPT-block step. One loop runs at a time; a loop started
/// while another runs (another thread's model, or a loop inside a loop) runs on its caller alone, which is correct and
/// only slower.
/// </summary>
internal static class CpuWorkers
{
    /// <summary>How long an idle worker polls for the next loop before it sleeps.</summary>
    private const int SpinMicroseconds = 100;

    private static readonly object Sleep = new();
    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
    private static Loop? current;
    private static int generation;
    private static int sleepers;
    private static int busy;
    private static int started;

    /// <summary>Runs body(0) .. body(count - 1), each once, on the caller and the workers; rethrows the first exception.</summary>
    public static void For(int count, Action<int> body)
    {
        int workers = Environment.ProcessorCount - 1;
        if (count <= 1 || workers <= 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        try
        {
            Start(workers);
            var loop = new Loop(count, body);
            Volatile.Write(ref current, loop);
            Interlocked.Increment(ref generation);
            lock (Sleep)
            {
                if (sleepers > 0)
                {
                    Monitor.PulseAll(Sleep);
                }
            }

            loop.Work();
            loop.WaitForAll();
            Volatile.Write(ref current, null);
            loop.Error?.Throw();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    private static void Start(int workers)
    {
        if (Volatile.Read(ref started) != 0 || Interlocked.Exchange(ref started, 1) != 0)
        {
            return;
        }

        for (int w = 0; w < workers; w++)
        {
            new Thread(Work) { IsBackground = true, Name = "Amp Cpu worker " + w }.Start();
        }
    }

    /// <summary>A worker: wait for a new loop (spinning, then asleep), help finish it, repeat for the life of the process.</summary>
    private static void Work()
    {
        int seen = Volatile.Read(ref generation);
        while (true)
        {
            long since = Stopwatch.GetTimestamp();
            var spin = default(SpinWait);
            while (Volatile.Read(ref generation) == seen && Stopwatch.GetTimestamp() - since < SpinTicks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            if (Volatile.Read(ref generation) == seen)
            {
                lock (Sleep)
                {
                    // Checked under the lock the publisher pulses under: no wake-up is lost.
                    while (Volatile.Read(ref generation) == seen)
                    {
                        sleepers++;
                        Monitor.Wait(Sleep);
                        sleepers--;
                    }
                }
            }

            seen = Volatile.Read(ref generation);
            Volatile.Read(ref current)?.Work();
        }
    }

    /// <summary>One loop's items, handed out one at a time; done counts the finished ones.</summary>
    private sealed class Loop(int count, Action<int> body)
    {
        private int next;
        private int done;

        public ExceptionDispatchInfo? Error { get; private set; }

        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) < count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Error ??= ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    Interlocked.Increment(ref done);
                }
            }
        }

        public void WaitForAll()
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref done) < count)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }
}
