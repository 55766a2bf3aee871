namespace Amp.Generator.Model;

/// <summary>Where a step runs: RunForward, RunLoss or RunBackward.</summary>
internal enum StepPhase
{
    Forward,
    Loss,
    Backward,
}

/// <summary>
/// One buffer of the training step: an op's output, one of its scratch tensors (statistics, attention parts), a
/// recomputed chain output or a gradient. <paramref name="PerSample"/> elements per sample (a tensor with the batch
/// axis) or <paramref name="Fixed"/> elements in all.
/// </summary>
internal sealed record BufferSpec(int Id, string Local, Precision Precision, long PerSample, long Fixed)
{
    public long BytesPerSample => PerSample * Precision.Bytes();

    public long FixedBytes => Fixed * Precision.Bytes();
}

/// <summary>
/// One block of the step: the statements of planned node <paramref name="Node"/>'s forward or backward (or its
/// recompute; -1 for the seed), the buffers it reads and writes by id, and the locals it declares. Liveness is computed
/// on these sets, never on the statements' text. Names in the statements are tokens (<c>Steps.StepTokens</c>).
/// </summary>
internal sealed record StepSpec(
    StepPhase Phase,
    int Node,
    EquatableArray<string> Lines,
    EquatableArray<int> Reads,
    EquatableArray<int> Writes,
    EquatableArray<string> Declares)
{
    /// <summary>True for a chain output recomputed in the backward (placed before its first reader, which may be far from its node).</summary>
    public bool Recompute { get; init; }
}

/// <summary>A local of the forward or loss: its declaration statement, and the local it is a view of (a reshape), if any.</summary>
internal sealed record ForwardDeclaration(string Local, string Line, string? ViewOf);

/// <summary>One allocation of the run: the buffers that use it one after another (their lifetimes do not overlap).</summary>
internal sealed record SlotSpec(int Index, Precision Precision, long PerSample, long Fixed, EquatableArray<int> Buffers);

/// <summary>
/// The step program: every buffer, every block in execution order (forward, loss, backward), the forward's
/// declarations (the backward fetches the ones it reads again), the slot of each buffer and what the memory plan adds up.
/// </summary>
internal sealed record StepProgram(
    EquatableArray<BufferSpec> Buffers,
    EquatableArray<StepSpec> Steps,
    EquatableArray<ForwardDeclaration> ForwardDeclarations,
    EquatableArray<int> SlotOf,
    EquatableArray<SlotSpec> Slots,
    long WorkspaceBytesPerSample,
    long WorkspaceFixedBytes,
    long SavedBytesPerSample);

/// <summary>The planned model with its step program, the program as printed, and the memory the same model would take in FP32 (for the plan's comparison).</summary>
internal sealed record ProgramSpec(PlanSpec Plan, StepProgram Program, ProgramText Text, long Fp32SavedBytesPerSample, long Fp32WorkspaceBytesPerSample)
{
    /// <summary>[Recompute]: the activation bytes per sample it saves against the same plan without it.</summary>
    public long RecomputeSavedBytesPerSample { get; init; }

    /// <summary>[Recompute]: the matrix-product FLOPs per sample of the forwards it runs again.</summary>
    public long RecomputeFlopsPerSample { get; init; }
}

internal static class PrecisionBytes
{
    public static long Bytes(this Precision precision) => precision == Precision.Fp32 ? 4 : 2;
}
