namespace Amp.Generator.Model;

/// <summary>The statements of one step as printed (a blank line goes between steps).</summary>
internal sealed record StepText(EquatableArray<string> Lines);

/// <summary>
/// The run methods as they are printed: every name spelled, every slot written (only the source map's line tokens are
/// left for Emit). The module instances that share a body are one call each here; <see cref="Bodies"/> holds the bodies.
/// </summary>
internal sealed record ProgramText(
    EquatableArray<StepText> Forward,
    EquatableArray<StepText> Loss,
    EquatableArray<string> Saved,
    EquatableArray<StepText> Backward,
    EquatableArray<BodySpec> Bodies,
    EquatableArray<int> Chains,
    EquatableArray<int> GradChains);

/// <summary>
/// One body shared by the instances of a module whose steps are the same code: a forward and a backward method over
/// an instance's parameters and slots. Inputs are the tensors the body reads from outside, outputs the ones it
/// declares for later steps, all by their names inside the body.
/// </summary>
internal sealed record BodySpec(
    string Name,
    string Module,
    int Source,
    EquatableArray<InstanceSpec> Instances,
    EquatableArray<string> Weights,
    EquatableArray<string> ForwardInputs,
    EquatableArray<string> ForwardOutputs,
    EquatableArray<StepText> ForwardSteps,
    EquatableArray<string> BackwardInputs,
    EquatableArray<string> BackwardOutputs,
    EquatableArray<string> BackwardSaved,
    EquatableArray<StepText> BackwardSteps)
{
    /// <summary>Whether the body draws random masks: each instance then passes its salt (its first parsed node), so instances draw their own.</summary>
    public bool UsesSalt { get; init; }
}

/// <summary>An instance of a shared body: its path, its planned nodes [First, End), the slot of each of the body's buffers, the fields of its parameters (in the body's weight order).</summary>
internal sealed record InstanceSpec(string Path, int First, int End, EquatableArray<int> Slots, EquatableArray<string> Parameters, int Salt);
