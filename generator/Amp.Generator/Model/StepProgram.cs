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
/// One block of the step: the statements of one op's forward or backward (or a recompute, or the seed), and the
/// buffers it reads and writes, by id. Liveness is computed on these sets, never on the statements' text.
/// </summary>
internal sealed record StepSpec(
    StepPhase Phase,
    EquatableArray<string> Lines,
    EquatableArray<int> Reads,
    EquatableArray<int> Writes);

/// <summary>One allocation of the run: the buffers that use it one after another (their lifetimes do not overlap).</summary>
internal sealed record SlotSpec(int Index, Precision Precision, long PerSample, long Fixed, EquatableArray<int> Buffers);

/// <summary>
/// The step program: every buffer, every block in execution order (forward, loss, backward), the saved activations
/// the backward fetches again, the slot of each buffer and what the memory plan adds up.
/// </summary>
internal sealed record StepProgram(
    EquatableArray<BufferSpec> Buffers,
    EquatableArray<StepSpec> Steps,
    EquatableArray<string> SavedDeclarations,
    EquatableArray<int> SlotOf,
    EquatableArray<SlotSpec> Slots,
    long WorkspaceBytesPerSample,
    long WorkspaceFixedBytes,
    long SavedBytesPerSample);

/// <summary>The planned model with its step program, and the memory the same model would take in FP32 (for the plan's comparison).</summary>
internal sealed record ProgramSpec(PlanSpec Plan, StepProgram Program, long Fp32SavedBytesPerSample, long Fp32WorkspaceBytesPerSample);

internal static class PrecisionBytes
{
    public static long Bytes(this Precision precision) => precision == Precision.Fp32 ? 4 : 2;
}
