using System.Globalization;
using Amp.Generator.Model;
using Amp.Generator.Passes;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Emit;

/// <summary>
/// Emit step: one file per model with the plan, Compile, the parameter walk and the compiled class whose
/// RunForward/RunLoss are straight-line calls into the device's kernel library and the model's fused chains.
/// </summary>
internal sealed partial class ModelEmitter
{
    private readonly PlanSpec plan;
    private readonly ModelSpec spec;
    private readonly ProgramSpec planned;
    private readonly StepProgram program;
    private readonly SourceMap? map;

    /// <summary>The [Recompute] module calls (their ops say so in their reasons).</summary>
    private readonly IReadOnlyList<ModuleCallSpec> checkpoints;

    private ModelEmitter(ProgramSpec planned, SourceMap? map)
    {
        this.map = map;
        this.planned = planned;
        plan = planned.Plan;
        spec = plan.Spec;
        program = planned.Program;
        checkpoints = Steps.Checkpoints.Calls(plan);
    }

    /// <summary>The model's file: the program printed, and the lines of <paramref name="map"/> joined into its names and comments.</summary>
    public static string Emit(ProgramSpec planned, SourceMap? map)
    {
        return new ModelEmitter(planned, map).Write();
    }

    private string Write()
    {
        // Line tokens are resolved as each line is written, so the writer measures the text the reader sees.
        var w = new CodeWriter(map is null ? null : map.Resolve);
        ModuleEmitter.Header(w, spec.ClassName);
        ModuleEmitter.Open(w, spec.Namespace, spec.ClassName, Usings);
        WritePlan(w);
        w.Line();
        if (!spec.IsVariant)
        {
            // A precision variant's file adds its plan and compiled class; the class's own file has the rest.
            w.Line("/// <summary>Copies this definition's current weights onto <paramref name=\"device\"/> as FP32 masters and returns the compiled model, ready to train with <paramref name=\"options\"/> (AdamW, no clipping, PyTorch's scaler default).</summary>");
            WritePlanRemarks(w);
            w.Line($"public Compiled Compile({Ns}AmpDevice device, {Ns}TrainingOptions? options = null) => new Compiled(this, device, options);")
             .Line();
            WriteVariantDispatch(w);
            ModuleEmitter.Walk(w, spec.Fields);
            w.Line();
        }

        WriteCompiled(w);
        ModuleEmitter.Close(w, spec.Namespace);
        return w.ToString();
    }

    private void WritePlan(CodeWriter w)
    {
        w.Line($"/// <summary>The compile-time precision plan of {spec.ClassName}{(spec.IsVariant ? $" in {spec.Autocast.Name()}" : string.Empty)}: every op with its compute and output precision and the reason.</summary>");
        WritePlanRemarks(w);
        w
         .Line($"public static {Ns}ModelPlan Plan{spec.Suffix} {{ get; }} = new {Ns}ModelPlan(")
         .Line($"    \"{spec.ClassName}\",")
         .Line($"    {Ns}Precision.{spec.Autocast},")
         .Line($"    new {Ns}PlannedOp[]")
         .Line("    {");
        foreach (PlannedNode node in plan.Nodes.Where(n => n.Kind != OpKind.Input))
        {
            Precision? gradient = GradientOf(node);
            string fused = node.Chain >= 0 ? $", FusedChain: {node.Chain}" : string.Empty;
            string gradientArgument = gradient is { } g ? $", Gradient: AmpPrecision.{g}" : string.Empty;
            bool tf32 = Steps.StepWriter.UsesTf32(spec, node);
            string tf32Argument = tf32 ? ", Tf32: true" : string.Empty;
            string tf32Reason = tf32 ? "; products in TF32 (Tf32 = true)" : string.Empty;
            w.Line($"        new(\"{node.Name}\", AmpKind.{node.Kind}, AmpPrecision.{node.Compute}, AmpPrecision.{node.Output}, \"{Escape(node.Reason + tf32Reason + GradientReason(node, gradient) + RecomputeReason(node))}\", {SourceMap.LineOf(node.Source)}, \"{Shapes.Format(node.Shape)}\"{fused}{gradientArgument}{tf32Argument}),");
        }

        long masters = spec.Layers.Sum(l => ParameterCount(l)) * 4L;
        long working = WorkingCopies().Sum(c => ParameterCount(spec.Layers.First(l => l.Path == c.Layer)) * 2L);
        w.Line("    },")
         .Line($"    new {Ns}MemoryPlan(")
         .Line($"        MasterWeightBytes: {masters},")
         .Line($"        WorkingWeightBytes: {working},")
         .Line($"        GradientBytes: {masters},")
         .Line($"        ActivationBytesPerSample: {program.SavedBytesPerSample},")
         .Line($"        WorkspaceBytesPerSample: {InputBytes + program.WorkspaceBytesPerSample},")
         .Line($"        WorkspaceFixedBytes: {program.WorkspaceFixedBytes},")
         .Line($"        Fp32ActivationBytesPerSample: {planned.Fp32SavedBytesPerSample},")
         .Line($"        Fp32WorkspaceBytesPerSample: {InputBytes + planned.Fp32WorkspaceBytesPerSample}){(spec.Fp32Gradients || spec.Tf32 || plan.LossOutput < 0 || planned.RecomputeSavedBytesPerSample > 0 ? "," : ");")}");
        var named = new List<string>();
        if (spec.Fp32Gradients)
        {
            named.Add("fp32Gradients: true");
        }

        if (planned.RecomputeSavedBytesPerSample > 0)
        {
            named.Add($"recomputeSavedBytesPerSample: {planned.RecomputeSavedBytesPerSample}");
            named.Add($"recomputeFlopsPerSample: {planned.RecomputeFlopsPerSample}");
        }

        if (spec.Tf32)
        {
            named.Add("tf32: true");
        }

        if (plan.LossOutput < 0)
        {
            named.Add("inferenceOnly: true");
        }

        for (int i = 0; i < named.Count; i++)
        {
            w.Line($"    {named[i]}{(i == named.Count - 1 ? ");" : ",")}");
        }
    }

    /// <summary>The precision of an op's gradient in the backward, or null when it has none (no weight behind it, inside a chain, no loss).</summary>
    private Precision? GradientOf(PlannedNode n) =>
        plan.LossOutput >= 0 && plan.NeedsGradient.Count > n.Id && plan.NeedsGradient[n.Id] && (n.Chain < 0 || plan.Chains[n.Chain].Root == n.Id)
            ? Steps.StepWriter.GradientPrecision(plan, n.Id)
            : null;

    /// <summary>[Recompute] in the op's reason: its activations are recomputed in the backward instead of kept.</summary>
    private string RecomputeReason(PlannedNode n)
    {
        ModuleCallSpec? call = checkpoints.FirstOrDefault(c => n.Source >= c.First && n.Source < c.End);
        return call is null ? string.Empty : $"; [Recompute] {call.Path}";
    }

    /// <summary>The gradient rule where it differs from FP32, in the op's reason: why its gradient is what it is.</summary>
    private string GradientReason(PlannedNode n, Precision? gradient) => gradient switch
    {
        Precision.Fp32 when spec.Fp32Gradients && n.Output != Precision.Fp32 => "; FP32 gradient (Fp32Gradients)",
        Precision.Bf16 or Precision.Fp16 => $"; gradient {gradient.Value.Name()} like the activation (PyTorch's rule)",
        _ => string.Empty,
    };

    private void WriteCompiled(CodeWriter w)
    {
        w.Line($"/// <summary>{spec.ClassName} compiled for one device: the plan above as kernel calls.</summary>");
        WritePlanRemarks(w);
        w
         .Line("[global::System.CodeDom.Compiler.GeneratedCode(\"Amp.Generator\", \"1.0.0\")]")
         .Open($"{spec.Accessibility} sealed class Compiled{spec.Suffix} : {Ns}Compilation.CompiledModel{(spec.Variants.Count > 0 ? ", ICompiled" : string.Empty)}")
         .Line($"private static readonly {Ns}Compilation.ModelInput[] ModelInputs =")
         .Line("{");
        foreach (InputSpec input in spec.Inputs)
        {
            // A CrossEntropy that skips another label than PyTorch's default -100 lets the binder accept it.
            int? ignore = plan.Nodes.Where(n => n.Kind == OpKind.CrossEntropy && n.Ints.Count > 0 && n.Ints[0] != -100
                    && plan.Nodes[n.Inputs[1]] is { Kind: OpKind.Input } labels && labels.Name == input.Name)
                .Select(n => (int?)n.Ints[0]).FirstOrDefault();
            w.Line($"    new(\"{input.Name}\", {Ns}Compilation.InputKind.{input.Kind}, {(input.SampleShape.Count == 0 ? "global::System.Array.Empty<int>()" : $"new int[] {{ {string.Join(", ", input.SampleShape)} }}")}, {input.Limit}, LossOnly: {(input.LossOnly ? "true" : "false")}){(ignore is { } skip ? $" {{ Ignore = {skip} }}" : string.Empty)},");
        }

        w.Line("};").Line();
        foreach (string name in ParameterNames())
        {
            w.Line($"private readonly {Ns}Compilation.ModelParameter {Field(name)};");
        }

        foreach ((string name, _) in BufferNames())
        {
            w.Line($"private readonly {Ns}Compilation.ModelBuffer {Field(name)};");
        }

        foreach (BodySpec body in Text.Bodies)
        {
            w.Line($"private readonly {body.Name}Instance[] {Steps.Outliner.InstancesField(body)};");
        }

        w.Line()
         .Line($"internal Compiled{spec.Suffix}({Definition} definition, {Ns}AmpDevice device, {Ns}TrainingOptions? options)")
         .Open($"    : base(device, {Definition}.Plan{spec.Suffix}, ModelInputs, bufferSlots: {program.Slots.Count}, options)")
         .Line($"var weights = new {ModuleEmitter.Dictionary}();")
         .Line("definition.CollectAmpParameters(string.Empty, weights);");
        foreach (string name in ParameterNames())
        {
            w.Line($"{Field(name)} = AddParameter(\"{name}\", weights[\"{name}\"]);");
        }

        foreach ((string name, BufferRow buffer) in BufferNames())
        {
            w.Line($"{Field(name)} = AddBuffer(\"{name}\", weights[\"{name}\"]{(buffer.Counter ? ", counter: true" : string.Empty)});");
        }

        WriteInstances(w);

        w.Close().Line();
        WriteTypedOverloads(w);
        WriteRuns(w);

        // Only the chains the printed code runs: an instance that shares a body runs the body's chains.
        foreach (int chain in Text.Chains)
        {
            w.Line();
            WriteChain(w, plan.Chains[chain]);
        }

        foreach (int grad in Text.GradChains)
        {
            w.Line();
            WriteGradChain(w, plan.GradChains[grad]);
        }

        w.Close();
    }

    /// <summary>With [Autocast(.., Also = ..)]: Compile and PlanFor by precision, over the class's own and its variants.</summary>
    private void WriteVariantDispatch(CodeWriter w)
    {
        if (spec.Variants.Count == 0)
        {
            return;
        }

        Precision[] all = [spec.Autocast, .. spec.Variants.Select(v => (Precision)v)];
        string Suffix(Precision p) => p == spec.Autocast ? string.Empty : p.ToString();
        string list = string.Join(", ", all.Select(p => p.Name()));
        WriteVariantInterface(w, list);
        w.Line($"/// <summary>Compiles the plan of <paramref name=\"autocast\"/> ({list}); the same weights whatever the precision.</summary>")
         .Open($"public ICompiled Compile({Ns}AmpDevice device, {Ns}Precision autocast, {Ns}TrainingOptions? options = null) => autocast switch");
        foreach (Precision p in all)
        {
            w.Line($"{Ns}Precision.{p} => new Compiled{Suffix(p)}(this, device, options),");
        }

        w.Line("_ => throw new global::System.ArgumentException(")
         .Line($"    $\"{spec.ClassName} is planned in {list}; {{autocast}} was asked for. Add it to [Autocast(.., Also = ..)].\",")
         .Line("    nameof(autocast)),")
         .Close(";")
         .Line()
         .Line($"/// <summary>The plan of <paramref name=\"autocast\"/> ({list}).</summary>")
         .Open($"public static {Ns}ModelPlan PlanFor({Ns}Precision autocast) => autocast switch");
        foreach (Precision p in all)
        {
            w.Line($"{Ns}Precision.{p} => Plan{Suffix(p)},");
        }

        w.Line("_ => throw new global::System.ArgumentException(")
         .Line($"    $\"{spec.ClassName} is planned in {list}; {{autocast}} was asked for.\",")
         .Line("    nameof(autocast)),")
         .Close(";")
         .Line();
    }

    /// <summary>
    /// The interface the precision variants of one definition share: the compiled model of any of them, with the typed
    /// overloads, so Compile(device, precision, options) returns something a caller can train with typed arrays.
    /// </summary>
    private void WriteVariantInterface(CodeWriter w, string list)
    {
        string Parameter(InputSpec i) => $"{(i.Kind == InputKind.Features ? "float[]" : "int[]")} {ModuleEmitter.Escape(i.Name)}";
        InputSpec[] forward = spec.Inputs.Where(i => !i.LossOnly).ToArray();
        bool trains = plan.LossOutput >= 0;
        w.Line($"/// <summary>{spec.ClassName} compiled in any of its precisions ({list}): the typed forms of Forward{(trains ? ", Evaluate and TrainStep" : string.Empty)}.</summary>")
         .Open($"public interface ICompiled : {Ns}{(trains ? "ICompiledModel" : "IInferenceModel")}")
         .Line($"{TypedForwardReturn} Forward({string.Join(", ", forward.Select(Parameter))});");
        if (trains)
        {
            string all = string.Join(", ", spec.Inputs.Select(Parameter));
            w.Line()
             .Line($"float Evaluate({all});")
             .Line()
             .Line($"{Ns}StepResult TrainStep({all});");
        }

        w.Close().Line();
    }

    /// <summary>Forward, Evaluate and TrainStep with the definition's inputs as typed parameters, on top of the Batch forms.</summary>
    private void WriteTypedOverloads(CodeWriter w)
    {
        string Parameter(InputSpec i) => $"{(i.Kind == InputKind.Features ? "float[]" : "int[]")} {ModuleEmitter.Escape(i.Name)}";
        string Shape(InputSpec i) => i.Kind == InputKind.Labels && i.SampleShape.Count == 0 ? $"class ids below {i.Limit}" : $"[Batch{string.Concat(i.SampleShape.Select(d => ", " + d.ToString(CultureInfo.InvariantCulture)))}]";
        string Batch(IEnumerable<InputSpec> inputs) => $"new global::Amp.Data.Batch {{ {string.Join(", ", inputs.Select(i => $"{{ \"{i.Name}\", {ModuleEmitter.Escape(i.Name)} }}"))} }}";
        InputSpec[] forward = spec.Inputs.Where(i => !i.LossOnly).ToArray();
        if (spec.OutputNames.Count > 0)
        {
            // A tuple [Forward]: the typed Forward returns its outputs as a tuple of arrays, under the tuple's names.
            string items = string.Join(", ", Enumerable.Range(0, spec.OutputNames.Count).Select(k => $"outputs[{Int(k)}]"));
            w.Line($"/// <summary>Runs [Forward] {spec.ForwardMethod} on {string.Join(", ", forward.Select(i => $"{i.Name} {Shape(i)}"))}; its outputs as floats (row-major), in order.</summary>")
             .Open($"public {TypedForwardReturn} Forward({string.Join(", ", forward.Select(Parameter))})")
             .Line($"global::System.Collections.Generic.IReadOnlyList<float[]> outputs = ForwardOutputs({Batch(forward)});")
             .Line($"return ({items});")
             .Close();
        }
        else
        {
            w.Line($"/// <summary>Runs [Forward] {spec.ForwardMethod} on {string.Join(", ", forward.Select(i => $"{i.Name} {Shape(i)}"))}; the output as floats (row-major).</summary>")
             .Line($"public float[] Forward({string.Join(", ", forward.Select(Parameter))}) => Forward({Batch(forward)});");
        }

        if (plan.LossOutput < 0)
        {
            // No [Loss]: an inference model. Training and evaluating a loss are compile-time errors on this type (and an
            // InvalidOperationException through ICompiledModel), never a silent no-op.
            w.Line()
             .Line($"private const string NoLoss = \"{spec.ClassName} has no [Loss] method: it is an inference model (Forward, checkpoints) and does not train.\";")
             .Line();
            foreach ((string returns, string method) in new[] { ($"{Ns}StepResult", "TrainStep"), ("float", "Evaluate"), ("float", "EvaluateTrainMode"), ("float", "ComputeGradients") })
            {
                w.Line("/// <summary>Not available: the model has no [Loss] method (see NoLoss).</summary>")
                 .Line("[global::System.Obsolete(NoLoss, error: true)]")
                 .Line($"public new {returns} {method}(global::Amp.Data.Batch batch) => throw new global::System.InvalidOperationException(NoLoss);")
                 .Line();
            }

            return;
        }

        string all = string.Join(", ", spec.Inputs.Select(Parameter));
        w.Line()
         .Line($"/// <summary>The mean [Loss] {spec.LossMethod} of the batch, no update.</summary>")
         .Line($"public float Evaluate({all}) => Evaluate({Batch(spec.Inputs)});")
         .Line()
         .Line($"/// <summary>One training step on {string.Join(", ", spec.Inputs.Select(i => $"{i.Name} {Shape(i)}"))}.</summary>")
         .Line($"public {Ns}StepResult TrainStep({all}) => TrainStep({Batch(spec.Inputs)});")
         .Line();
    }

    /// <summary>What the typed Forward returns: float[], or for a tuple [Forward] a tuple of float[] under its element names.</summary>
    private string TypedForwardReturn => spec.OutputNames.Count == 0
        ? "float[]"
        : $"({string.Join(", ", spec.OutputNames.Select(n => "float[] " + ModuleEmitter.Escape(n)))})";

    private long InputBytes => spec.Inputs.Sum(i => (long)i.SampleShape.Aggregate(1, (a, b) => a * b) * 4L);

    private IEnumerable<string> ParameterNames() => spec.Layers.SelectMany(l => l.Kind switch
    {
        LayerKind.Linear or LayerKind.Conv2d => l.Bias ? new[] { l.Path + ".weight", l.Path + ".bias" } : [l.Path + ".weight"],
        LayerKind.LayerNorm or LayerKind.BatchNorm2d => [l.Path + ".weight", l.Path + ".bias"],
        LayerKind.Dropout => [],
        _ => [l.Path + ".weight"],
    });

    /// <summary>Every layer's buffers by PyTorch path (BatchNorm's running statistics), after the parameters as in a state_dict.</summary>
    private IEnumerable<(string Path, BufferRow Buffer)> BufferNames() =>
        spec.Layers.SelectMany(l => OpTable.ForLayer(l.Kind).Layer!.Buffers.Select(b => (l.Path + "." + b.Name, b)));

    private IEnumerable<(string Layer, Precision Precision)> WorkingCopies() =>
        plan.Nodes.Where(n => n.Kind is OpKind.Linear or OpKind.Conv2d && n.Compute != Precision.Fp32).Select(n => (n.Layer!, n.Compute)).Distinct();

    /// <summary>Weights of a layer, in 64 bits: each layer fits one array (AMP1009), a model of many may pass 2^31.</summary>
    private static long ParameterCount(LayerSpec l) => l.Kind switch
    {
        LayerKind.Linear => ((long)l.A * l.B) + (l.Bias ? l.B : 0),
        LayerKind.Conv2d => ((long)l.A / Math.Max(1, l.Int("groups")) * l.B * l.Int("kernelSize") * l.Int("kernelSize")) + (l.Bias ? l.B : 0),
        LayerKind.LayerNorm or LayerKind.BatchNorm2d => 2L * l.A,
        LayerKind.Dropout => 0,
        LayerKind.RmsNorm => l.A,
        _ => (long)l.A * l.B,
    };

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <summary>The model class, fully qualified: inside Compiled a bare name can mean a member (a class named Forward).</summary>
    private string Definition => $"global::{(spec.Namespace is null ? string.Empty : spec.Namespace + ".")}{spec.ClassName}";
}
