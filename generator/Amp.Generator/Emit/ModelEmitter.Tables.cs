using System.Globalization;
using Amp.Generator.Model;
using Amp.Generator.Passes;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Emit;

// Tables for readers: the plan in the doc comments of Plan, Compile and Compiled (what an IDE shows on hover where
// the user calls them), and the memory slots above the run methods.
internal sealed partial class ModelEmitter
{
    /// <summary>The plan as a table: line, op, kind, compute and stored precision, shape; then the memory in bytes.</summary>
    private void WritePlanRemarks(CodeWriter w)
    {
        PlannedNode[] ops = plan.Nodes.Where(n => n.Kind != OpKind.Input).ToArray();
        int name = Math.Min(40, ops.Select(n => (map?.Resolve(Xml(n.Name)) ?? n.Name).Length).DefaultIfEmpty(2).Max());
        int kind = ops.Select(n => n.Kind.ToString().Length).DefaultIfEmpty(4).Max();
        w.Line("/// <remarks>")
         .Line($"/// The plan in {spec.Autocast.Name()}{(spec.Tf32 ? ", FP32 products in TF32 (Tf32 = true)" : string.Empty)}:")
         .Line("/// <code>")
         .Line($"///   line  {"op".PadRight(name)}  {"kind".PadRight(kind)}  compute  stored  shape");
        // The instances after the first of a shared body are one row: their ops are the first instance's, under their own paths.
        var folded = Text.Bodies.SelectMany(b => b.Instances.Skip(1).Select(i => (Body: b, Instance: i))).ToDictionary(x => x.Instance.First);
        int skipTo = -1;
        foreach (PlannedNode n in ops)
        {
            if (n.Id < skipTo)
            {
                continue;
            }

            if (folded.TryGetValue(n.Id, out var fold))
            {
                BodySpec body = fold.Body;
                if (fold.Instance == body.Instances[1])
                {
                    int more = body.Instances.Count - 1;
                    string paths = more > 1 ? $"{body.Instances[1].Path} ... {body.Instances[more].Path}" : body.Instances[1].Path;
                    w.Line($"/// {string.Empty,6}  {paths}: {Int(more)} more {Xml(body.Module)}, each with the ops of {body.Instances[0].Path} (one body, {body.Name}Forward)");
                }

                skipTo = fold.Instance.End;
                continue;
            }

            // Resolved here, not at the end, so the column stays aligned.
            string line = map?.Resolve(SourceMap.LineOf(n.Source)) ?? string.Empty;
            string op = map?.Resolve(Xml(n.Name)) ?? Xml(n.Name);
            w.Line($"/// {line,6}  {op.PadRight(name)}  {n.Kind.ToString().PadRight(kind)}  {(Steps.StepWriter.UsesTf32(spec, n) ? "TF32" : n.Compute.Name()),-7}  {n.Output.Name(),-6}  {Shapes.Format(n.Shape)}");
        }

        w.Line("/// </code>")
         .Line($"/// Memory per sample: {Bytes(program.SavedBytesPerSample)} of saved activations (FP32: {Bytes(planned.Fp32SavedBytesPerSample)}), " +
               $"{Bytes(InputBytes + program.WorkspaceBytesPerSample)} of workspace in {Int(program.Slots.Count)} slots.")
         .Line("/// </remarks>");
    }

    /// <summary>Which buffers share which slot: one allocation each, used by the buffers listed one after another.</summary>
    private void WriteSlotTable(CodeWriter w)
    {
        w.Line($"// Memory slots: {Int(program.Slots.Count)} allocations; the buffers of a slot use it one after another (lifetimes never overlap), each a view of its first elements.");
        foreach (SlotSpec slot in program.Slots)
        {
            string size = slot.PerSample > 0 ? $"B x {Int(slot.PerSample)}" : Int(slot.Fixed);
            w.Line($"//   slot {Int(slot.Index),3}: {slot.Precision.Name(),-4} {size,-12} {string.Join(", ", slot.Buffers.Select(b => program.Buffers[b].Local))}");
        }

        w.Line();
    }

    private static string Bytes(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
