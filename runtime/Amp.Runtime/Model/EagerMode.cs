namespace Amp;

/// <summary>
/// The mode the eager FP64 reference runs in on this thread. A definition called directly runs in eval mode, as
/// <c>Forward</c> and <c>Evaluate</c> do (BatchNorm on its running statistics, Dropout the identity); inside
/// <see cref="Train"/> it runs in training mode as <c>TrainStep</c> does (BatchNorm on the batch's statistics,
/// updating its running statistics as PyTorch does). Dropout stays the identity in both: the reference draws no
/// masks (compare training-mode Dropout against the compiled model's own <c>EvaluateTrainMode</c>).
/// </summary>
public static class EagerMode
{
    [ThreadStatic]
    private static int trainingDepth;

    /// <summary>Whether the eager reference on this thread runs in training mode.</summary>
    public static bool Training => trainingDepth > 0;

    /// <summary>Training mode until the returned scope is disposed (scopes nest).</summary>
    public static IDisposable Train()
    {
        trainingDepth++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                trainingDepth--;
            }
        }
    }
}
