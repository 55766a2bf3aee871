namespace Amp.Samples;

/// <summary>One precision's training: the model to compile, the batches, and what was measured.</summary>
public sealed class TrainingRun(Precision precision, Func<AmpDevice, ICompiledModel> compile)
{
    public Precision Precision { get; } = precision;

    public Func<AmpDevice, ICompiledModel> Compile { get; } = compile;

    /// <summary>(step, training loss) every step.</summary>
    public List<(int Step, float Loss)> Curve { get; } = [];

    /// <summary>(step, held-out loss) at each evaluation.</summary>
    public List<(int Step, float Loss)> Evaluations { get; } = [];

    public float FinalLoss { get; set; } = float.NaN;

    public double SecondsPerStep { get; set; }

    public long MemoryBytes { get; set; }

    /// <summary>Where <see cref="MemoryBytes"/> goes: masters, working copies, gradients, optimizer state, activations (kept for the backward) and the whole workspace, for this batch.</summary>
    public (long Masters, long Working, long Gradients, long Optimizer, long Activations, long Workspace) MemoryParts { get; set; }

    public int SkippedSteps { get; set; }

    public float FinalScale { get; set; } = 1f;

    public string Name => Precision switch
    {
        Precision.Bf16 => "BF16",
        Precision.Fp16 => "FP16 + scaler",
        _ => "FP32",
    };
}
