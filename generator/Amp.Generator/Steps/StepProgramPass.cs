using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Amp.Generator.Passes;

namespace Amp.Generator.Steps;

/// <summary>
/// Program step: the planned model -> its <see cref="StepProgram"/> (steps, buffers, liveness, slots, memory), and the
/// memory of the same model planned all in FP32, which the generated <c>Plan.Memory</c> compares against.
/// </summary>
internal static class StepProgramPass
{
    public static StepResult<ProgramSpec> Run(StepResult<PlanSpec> planned, CancellationToken cancellationToken)
    {
        if (planned.Value is not { } plan)
        {
            return new StepResult<ProgramSpec>(null, planned.Diagnostics);
        }

        // Every op of the table has an emitter (OpTableTests); a new row without one is named here, not a KeyNotFoundException.
        if (plan.Nodes.FirstOrDefault(n => StepWriter.EmitterOf(n.Kind) is null) is { } unemitted)
        {
            return new StepResult<ProgramSpec>(null, planned.Diagnostics.Concat([
                DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, null, plan.Spec.ClassName, $"no emitter for {unemitted.Kind} ({unemitted.Name})")]).ToEquatableArray());
        }

        StepProgram program = StepWriter.Write(plan);
        cancellationToken.ThrowIfCancellationRequested();
        StepProgram fp32 = IsAllFp32(plan) ? program : StepWriter.Write(Fp32Twin(plan, cancellationToken));
        ProgramText text = Outliner.Outline(plan, program);
        var result = new ProgramSpec(plan, program, text, fp32.SavedBytesPerSample, fp32.WorkspaceBytesPerSample);
        if (Checkpoints.Calls(plan).Count > 0)
        {
            // What [Recompute] buys and costs: the activations the same plan keeps without it, and the products it runs again.
            int[] regionOf = Checkpoints.RegionOf(plan);
            result = result with
            {
                RecomputeSavedBytesPerSample = StepWriter.Write(plan, checkpoints: false).SavedBytesPerSample - program.SavedBytesPerSample,
                RecomputeFlopsPerSample = plan.Nodes.Where(n => regionOf[n.Id] >= 0).Sum(n => ProductFlopsPerSample(plan, n)),
            };
        }

        return new StepResult<ProgramSpec>(result, planned.Diagnostics);
    }

    /// <summary>The multiply-add FLOPs (2 per multiply-add) of one sample of an op's matrix products; 0 for the other ops.</summary>
    private static long ProductFlopsPerSample(PlanSpec plan, PlannedNode n)
    {
        long Elements(IEnumerable<int> shape) => shape.Where(d => d != Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        IReadOnlyList<int> x = n.Inputs.Count > 0 ? plan.Nodes[n.Inputs[0]].Shape : [];
        int Kernel() => plan.Spec.Layers.First(l => l.Path == n.Layer).Int("kernelSize");
        return n.Kind switch
        {
            OpKind.Linear => 2 * Elements(n.Shape) * x[x.Count - 1],
            OpKind.Conv2d => 2 * Elements(n.Shape) * x[1] * Kernel() * Kernel(),
            OpKind.MatMul => 2 * Elements(n.Shape) * x[x.Count - 1],
            OpKind.Attention => 4 * Elements(x) * x[x.Count - 2],
            _ => 0,
        };
    }

    private static bool IsAllFp32(PlanSpec plan) => plan.Nodes.All(n => n.Output == Precision.Fp32 && n.Compute == Precision.Fp32);

    /// <summary>The same model planned with every region in FP32 (no casts, no working copies), written only to measure its memory.</summary>
    private static PlanSpec Fp32Twin(PlanSpec plan, CancellationToken cancellationToken)
    {
        ModelSpec fp32 = plan.Spec with
        {
            Autocast = Precision.Fp32,
            Nodes = plan.Spec.Nodes.Select(n => n with { Override = null, Region = n.Region with { Autocast = Precision.Fp32 } }).ToEquatableArray(),
        };
        StepResult<PlanSpec> twin = PrecisionPass.Run(new StepResult<ShapedModel>(new ShapedModel(fp32, plan.SpecShapes), EquatableArray<DiagnosticInfo>.Empty), cancellationToken);
        return Autodiff.Run(Fusion.Run(twin, cancellationToken), cancellationToken).Value!;
    }
}
