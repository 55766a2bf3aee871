namespace Amp.Compilation;

/// <summary>
/// The mode of one forward (and backward) pass. Ops whose behaviour depends on it (BatchNorm, Dropout) read it
/// from <see cref="ForwardRun"/>; every other op is the same in all three.
/// </summary>
public enum RunMode
{
    /// <summary><c>Forward</c> and <c>Evaluate</c>: Dropout is the identity, BatchNorm uses its running statistics.</summary>
    Eval,

    /// <summary><c>TrainStep</c>: training semantics, and the step's side effects on model state (running statistics, Dropout counter).</summary>
    Train,

    /// <summary>
    /// <c>EvaluateTrainMode</c> and <c>ComputeGradients</c>: training semantics (the masks and batch statistics the next
    /// <c>TrainStep</c> would use) with no side effect at all, so finite differences see one fixed function.
    /// </summary>
    TrainWithoutSideEffects,
}
