using Amp.Generator.Model;
using Amp.Generator.Steps;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Emit;

// RunForward, RunLoss and RunBackward: the program text printed; then the bodies the instances of a module share.
internal sealed partial class ModelEmitter
{
    private ProgramText Text => planned.Text;

    private void WriteRuns(CodeWriter w)
    {
        string dt = Ns + "DeviceTensor";
        WriteSlotTable(w);
        w.Line($"/// <summary>[Forward] {spec.ForwardMethod}.</summary>")
         .Open($"protected override {dt} RunForward({Ns}Compilation.ForwardRun run)");
        WriteRunHeader(w);
        WriteSteps(w, Text.Forward, blankFirst: true);
        w.Line($"return t{plan.ForwardOutput};").Close();
        if (plan.LossOutput >= 0)
        {
            w.Line()
             .Line($"/// <summary>[Loss] {spec.LossMethod}: the loss of the forward output, one FP32 value.</summary>")
             .Open($"protected override {dt} RunLoss({Ns}Compilation.ForwardRun run, {dt} output)");
            WriteRunHeader(w);
            w.Line($"{dt} t{plan.ForwardOutput} = output;");
            for (int k = 0; k < plan.ExtraOutputs.Count; k++)
            {
                w.Line($"{dt} t{plan.ExtraOutputs[k]} = run.Output({Int(k + 1)});");
            }

            WriteSteps(w, Text.Loss, blankFirst: true);
            w.Line($"return t{plan.LossOutput};").Close();

            w.Line()
             .Line("/// <summary>The backward pass: every gradient of the graph in reverse, seeded at the loss with <paramref name=\"seed\"/> (the loss scale).</summary>")
             .Open($"protected override void RunBackward({Ns}Compilation.ForwardRun run, float seed)");
            WriteRunHeader(w);
            w.Line("// Saved activations, in the precision they were stored in.");
            foreach (string declaration in Text.Saved)
            {
                w.Line(declaration);
            }

            w.Line();
            WriteSteps(w, Text.Backward, blankFirst: false);
            w.Close();
        }

        foreach (BodySpec body in Text.Bodies)
        {
            WriteBody(w, body);
        }
    }

    /// <summary>The forward and backward of a body its instances share, and the class that holds one instance's weights and slots.</summary>
    private void WriteBody(CodeWriter w, BodySpec body)
    {
        string dt = Ns + "DeviceTensor";
        string instance = body.Name + "Instance";
        string Parameters(IEnumerable<string> inputs, IEnumerable<string> outputs) => string.Join(", ",
            new[] { $"{Ns}Compilation.ForwardRun run", $"{instance} p" }.Concat(inputs.Select(i => $"{dt} {i}")).Concat(outputs.Select(o => $"out {dt} {o}")));
        string shared = $"shared by {Int(body.Instances.Count)} instances of {Xml(body.Module)} ({InstanceList(body)})";
        w.Line()
         .Line($"/// <summary>The forward of {Xml(body.Module)} ({SourceMap.FileLineOf(body.Source)}), {shared}: one body, called once per instance with its weights and slots.</summary>")
         .Open($"private void {body.Name}Forward({Parameters(body.ForwardInputs, body.ForwardOutputs)})");
        WriteRunHeader(w);
        WriteSteps(w, body.ForwardSteps, blankFirst: true);
        w.Close();
        if (plan.LossOutput >= 0)
        {
            w.Line()
             .Line($"/// <summary>The backward of {Xml(body.Module)}, {shared}.</summary>")
             .Open($"private void {body.Name}Backward({Parameters(body.BackwardInputs, body.BackwardOutputs)})");
            WriteRunHeader(w);
            if (body.BackwardSaved.Count > 0)
            {
                w.Line()
                 .Line("// Saved activations of the instance.");
                foreach (string declaration in body.BackwardSaved)
                {
                    w.Line(declaration);
                }

                w.Line();
            }

            WriteSteps(w, body.BackwardSteps, blankFirst: false);
            w.Close();
        }

        w.Line()
         .Line($"/// <summary>One instance of {Xml(body.Module)} for {body.Name}Forward and {body.Name}Backward: its parameters, named as inside the module, and the slot of each of its buffers.</summary>")
         .Open($"private sealed class {instance}")
         .Line("public readonly int[] Slots;");
        if (body.UsesSalt)
        {
            w.Line("/// <summary>The salt of the instance's random ops (its Dropout masks are its own).</summary>")
             .Line("public readonly int Salt;");
        }

        foreach (string weight in body.Weights)
        {
            w.Line($"public readonly {HolderType(weight)} {Field(weight)};");
        }

        IEnumerable<string> arguments = new[] { "int[] slots" }.Concat(body.UsesSalt ? ["int salt"] : []).Concat(body.Weights.Select(x => $"{HolderType(x)} {Field(x)}"));
        w.Line()
         .Open($"public {instance}({string.Join(", ", arguments)})")
         .Line("Slots = slots;");
        if (body.UsesSalt)
        {
            w.Line("Salt = salt;");
        }

        foreach (string weight in body.Weights)
        {
            w.Line($"this.{Field(weight)} = {Field(weight)};");
        }

        w.Close().Close();
    }

    /// <summary>The type of the field that holds a weight or buffer an instance names (BatchNorm's running statistics are buffers).</summary>
    private static string HolderType(string path) => OpTable.BufferAt(path) is null ? $"{Ns}Compilation.ModelParameter" : $"{Ns}Compilation.ModelBuffer";

    /// <summary>The instances' paths, the first and the last when there are many.</summary>
    private static string InstanceList(BodySpec body) => body.Instances.Count <= 4
        ? string.Join(", ", body.Instances.Select(i => i.Path))
        : $"{body.Instances[0].Path}, {body.Instances[1].Path}, ..., {body.Instances[body.Instances.Count - 1].Path}";

    /// <summary>The constructor's part for the bodies: each instance's slots and parameters.</summary>
    private void WriteInstances(CodeWriter w)
    {
        foreach (BodySpec body in Text.Bodies)
        {
            w.Line($"{Outliner.InstancesField(body)} = new {body.Name}Instance[]")
             .Line("{");
            foreach (InstanceSpec instance in body.Instances)
            {
                string slots = $"new int[] {{ {string.Join(", ", instance.Slots.Select(s => Int(s)))} }}";
                w.Line($"    new({string.Join(", ", new[] { slots }.Concat(body.UsesSalt ? [Int(instance.Salt)] : []).Concat(instance.Parameters))}), // {instance.Path}");
            }

            w.Line("};");
        }
    }

    private static void WriteRunHeader(CodeWriter w) =>
        w.Line($"{Ns}AmpDevice {Device} = run.Device;")
         .Line("int B = run.BatchSize;");

    /// <summary>Steps with a blank line between them (and before the first with <paramref name="blankFirst"/>).</summary>
    private static void WriteSteps(CodeWriter w, IEnumerable<StepText> steps, bool blankFirst)
    {
        bool first = true;
        foreach (StepText step in steps)
        {
            if (blankFirst || !first)
            {
                w.Line();
            }

            first = false;
            foreach (string line in step.Lines)
            {
                w.Line(line);
            }
        }
    }
}
