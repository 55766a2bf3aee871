namespace Amp.Compilation;

// A compiled model owns one set of activation buffers, gradients and optimizer state, so two calls at once would mix
// each other's tensors (a concurrent run once returned 263 wrong forwards of 6,000, silently). Every entry point
// claims the model for its call; a second thread gets a clear InvalidOperationException instead of wrong numbers.
// Two models, on one device or on several, run concurrently as before.
public abstract partial class CompiledModel
{
    private int running;
    private string? runningCall;

    /// <summary>Claims the model for <paramref name="call"/> until the returned scope is disposed.</summary>
    private protected ExclusiveCall Exclusive(string call)
    {
        if (Interlocked.CompareExchange(ref running, 1, 0) != 0)
        {
            throw new InvalidOperationException(
                $"{Plan.Model} is already running {runningCall ?? "a call"} (on another thread, or below this call: a notice handler); a compiled model runs one call at a time " +
                "(compile one model per thread, or serialise the calls with a lock).");
        }

        runningCall = call;
        return new ExclusiveCall(this);
    }

    private protected readonly struct ExclusiveCall(CompiledModel model) : IDisposable
    {
        public void Dispose()
        {
            model.runningCall = null;
            Volatile.Write(ref model.running, 0);
        }
    }
}
