using Amp.Data;

namespace Amp.Compilation;

// The training step, in DESIGN.md's order: forward (autocast) -> loss (FP32) -> backward seeded with the scale ->
// one fused unscale-and-check pass over every parameter gradient -> skip on overflow -> clip-by-norm on the
// unscaled gradients -> optimizer on the FP32 masters with the working copies cast out -> scaler update.
public abstract partial class CompiledModel
{
    private int microStep;
    private int optimizerStep;
    private float pendingScale = 1f;

    /// <summary>Optimizer steps applied so far (skipped steps do not count); the schedule and AdamW's bias correction use it.</summary>
    public int OptimizerStep => optimizerStep;

    /// <summary>What ReadGradient multiplies the stored gradients by: 1 / scale while micro-batches are accumulated but not yet unscaled.</summary>
    internal float PendingGradientFactor => microStep == 0 ? 1f : (float)(1.0 / pendingScale);

    public StepResult TrainStep(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(TrainStep));
        ForwardRun run = Bind(batch, withLabels: true, RunMode.Train);
        trainSteps++;
        EnsureOptimizerState();
        if (microStep == 0)
        {
            ZeroGradients();
        }

        // Gradients are averaged over the micro-batches of one optimizer step, as PyTorch users divide the loss.
        float scale = Scaler.Enabled ? Scaler.Scale : 1f;
        float loss = RunLoss(run, RunForward(run)).ToArray()[0];
        RunBackward(run, scale / Options.AccumulationSteps);

        // Each TrainStep call (micro-batch) draws new Dropout masks; ComputeGradients and EvaluateTrainMode draw the next call's.
        DropoutCounter++;
        pendingScale = scale;
        if (++microStep < Options.AccumulationSteps)
        {
            return new StepResult(loss, Skipped: false, scale);
        }

        microStep = 0;
        List<DeviceTensor> gradients = parameters.ConvertAll(p => p.Gradient);
        // A scale that underflowed to 0 has an infinite inverse: GradScaler would unscale the (all-zero) gradients to
        // 0 * inf = NaN without flagging them and write NaN into every weight. Amp counts it as found inf instead, so
        // once the scale is 0 every later step is skipped and the weights stay as they were.
        float inverse = Scaler.Enabled ? Scaler.InverseScale : 1f;
        bool foundInf = !float.IsFinite(inverse) || Device.UnscaleAndCheck(gradients, inverse);
        if (!foundInf)
        {
            ClipGradients(gradients);
            ApplyOptimizer();
        }

        Scaler.Update(foundInf);
        if (foundInf)
        {
            ReportSkipped(loss, scale);
        }

        return new StepResult(loss, foundInf, scale);
    }

    public float ComputeGradients(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(ComputeGradients));
        ForwardRun run = Bind(batch, withLabels: true, RunMode.TrainWithoutSideEffects);
        microStep = 0;
        ZeroGradients();
        float loss = RunLoss(run, RunForward(run)).ToArray()[0];
        RunBackward(run, 1f);
        return loss;
    }

    /// <summary>Steps whose optimizer update was skipped because a gradient held inf or NaN.</summary>
    public long SkippedSteps => skippedSteps;

    private long skippedSteps;
    private long trainSteps;

    /// <summary>
    /// A skipped step is counted and reported through the device's notice channel. With the scaler on (FP16) a
    /// skip is how the scale finds its level, and only a scale that reached zero is news; without it (BF16, FP32)
    /// every skip is a diverging run, which before this was visible only in <see cref="StepResult.Skipped"/>.
    /// </summary>
    private void ReportSkipped(float loss, float scale)
    {
        skippedSteps++;
        string model = Plan.Model;
        if (!Scaler.Enabled)
        {
            Device.Raise(new DeviceNotice(DeviceNoticeKind.SkippedStep, model,
                $"inf/NaN gradients (loss {loss}) without a loss scaler: the update was skipped; {skippedSteps} skipped so far. " +
                "Lower the learning rate, clip gradients (MaxGradNorm) or check the data.", trainSteps));
        }
        else if (Scaler.Scale == 0f)
        {
            Device.Raise(new DeviceNotice(DeviceNoticeKind.ScaleCollapsed, model,
                $"the loss scale backed off from {scale} to 0 (GradScaler has no floor): every later step will be skipped. " +
                "The gradients overflow at any scale; look for an inf or NaN in the forward pass.", trainSteps));
        }
        else
        {
            Device.Raise(new DeviceNotice(DeviceNoticeKind.ScaleBackoff, model,
                $"FP16 gradients overflowed at scale {scale}: the update was skipped and the scale backed off to {Scaler.Scale}.", trainSteps));
        }
    }

    private void ZeroGradients() => parameters.ForEach(p => Device.Fill(p.Gradient, 0f));

    private void ClipGradients(List<DeviceTensor> gradients)
    {
        if (Options.MaxGradNorm is not { } max)
        {
            return;
        }

        // torch.nn.utils.clip_grad_norm_: coefficient max / (norm + 1e-6), applied only when below 1.
        double norm = Math.Sqrt(Device.SquaredNorm(gradients));
        double coefficient = max / (norm + 1e-6);
        if (coefficient < 1)
        {
            Device.UnscaleAndCheck(gradients, (float)coefficient);
        }
    }

    private void ApplyOptimizer()
    {
        int step = optimizerStep = checked(optimizerStep + 1);
        double factor = Options.Schedule.Factor(step);
        if (!(factor >= 0 && double.IsFinite(factor)))
        {
            throw new InvalidOperationException($"The learning-rate schedule {Options.Schedule} gave the factor {factor} at step {step}; it must be finite and >= 0.");
        }
        foreach (ModelParameter p in parameters)
        {
            DeviceTensor? firstCopy = p.WorkingCopies.FirstOrDefault();
            if (Options.Sgd is { } sgd)
            {
                Device.SgdStep(p.Master, p.Gradient, p.State0, firstCopy, sgd with { LearningRate = (float)(sgd.LearningRate * factor) }, step);
            }
            else
            {
                AdamWHyperparameters adam = Options.AdamW ?? DefaultAdamW;
                Device.AdamWStep(p.Master, p.Gradient, p.State0!, p.State1!, firstCopy, adam with { LearningRate = (float)(adam.LearningRate * factor) }, step);
            }

            // A weight read in two low precisions (rare) gets its second copy cast here.
            foreach (DeviceTensor copy in p.WorkingCopies.Skip(1))
            {
                Device.Cast(p.Master, copy);
            }
        }
    }

    private static readonly AdamWHyperparameters DefaultAdamW = new();

    /// <summary>GEMM options of generated backward passes: the product is added to the gradient already there.</summary>
    protected static GemmOptions Accumulate { get; } = new() { Beta = 1f };

    protected static GemmOptions AccumulateTransposeA { get; } = new() { TransposeA = true, Beta = 1f };

    protected static GemmOptions AccumulateTransposeB { get; } = new() { TransposeB = true, Beta = 1f };

    // The same for the products of a plan with [Autocast(.., Tf32 = true)]: FP32 operands rounded to TF32.
    protected static GemmOptions AccumulateTf32 { get; } = new() { Beta = 1f, Tf32 = true };

    protected static GemmOptions AccumulateTransposeATf32 { get; } = new() { TransposeA = true, Beta = 1f, Tf32 = true };

    protected static GemmOptions AccumulateTransposeBTf32 { get; } = new() { TransposeB = true, Beta = 1f, Tf32 = true };

    /// <summary>A forward product of a TF32 plan (no other option).</summary>
    protected static GemmOptions Tf32Products { get; } = new() { Tf32 = true };

    /// <summary>SGD with momentum keeps one FP32 buffer per weight, AdamW two; allocated once, zeroed.</summary>
    private void EnsureOptimizerState()
    {
        foreach (ModelParameter p in parameters.Where(p => p.State0 is null))
        {
            bool needsMomentum = Options.Sgd is null || Options.Sgd.Momentum != 0;
            if (needsMomentum)
            {
                p.State0 = Device.Allocate(Precision.Fp32, [.. p.Shape]);
                Device.Fill(p.State0, 0f);
            }

            if (Options.Sgd is null)
            {
                p.State1 = Device.Allocate(Precision.Fp32, [.. p.Shape]);
                Device.Fill(p.State1, 0f);
            }
        }
    }
}
