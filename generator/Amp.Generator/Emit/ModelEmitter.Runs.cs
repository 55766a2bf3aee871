using Amp.Generator.Model;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Emit;

// RunForward, RunLoss and RunBackward: the step program printed, each buffer's placeholder replaced by its slot.
internal sealed partial class ModelEmitter
{
    private void WriteRuns(CodeWriter w)
    {
        string dt = Ns + "DeviceTensor";
        WriteSlotTable(w);
        w.Line($"/// <summary>[Forward] {spec.ForwardMethod}.</summary>")
         .Open($"protected override {dt} RunForward({Ns}Compilation.ForwardRun run)");
        WriteRunHeader(w);
        WriteSteps(w, StepPhase.Forward);
        w.Line($"return t{plan.ForwardOutput};").Close();
        if (plan.LossOutput < 0)
        {
            return;
        }

        w.Line()
         .Line($"/// <summary>[Loss] {spec.LossMethod}: the loss of the forward output, one FP32 value.</summary>")
         .Open($"protected override {dt} RunLoss({Ns}Compilation.ForwardRun run, {dt} output)");
        WriteRunHeader(w);
        w.Line($"{dt} t{plan.ForwardOutput} = output;");
        WriteSteps(w, StepPhase.Loss);
        w.Line($"return t{plan.LossOutput};").Close();

        w.Line()
         .Line("/// <summary>The backward pass: every gradient of the graph in reverse, seeded at the loss with <paramref name=\"seed\"/> (the loss scale).</summary>")
         .Open($"protected override void RunBackward({Ns}Compilation.ForwardRun run, float seed)");
        WriteRunHeader(w);
        w.Line("// Saved activations, in the precision they were stored in.");
        foreach (string declaration in program.SavedDeclarations)
        {
            w.Line(Resolve(declaration));
        }

        w.Line();
        WriteSteps(w, StepPhase.Backward);
        w.Close();
    }

    private static void WriteRunHeader(CodeWriter w) =>
        w.Line($"{Ns}AmpDevice {Device} = run.Device;")
         .Line("int B = run.BatchSize;");

    /// <summary>The steps of one phase: a blank line before each forward step, between backward steps.</summary>
    private void WriteSteps(CodeWriter w, StepPhase phase)
    {
        bool first = true;
        foreach (StepSpec step in program.Steps.Where(s => s.Phase == phase))
        {
            if (phase != StepPhase.Backward || !first)
            {
                w.Line();
            }

            first = false;
            foreach (string line in step.Lines)
            {
                w.Line(Resolve(line));
            }
        }
    }

    /// <summary>A statement with each buffer's placeholder replaced by the slot the memory plan gave it.</summary>
    private string Resolve(string line) => Steps.StepWriter.WithSlots(line, program.SlotOf);
}
