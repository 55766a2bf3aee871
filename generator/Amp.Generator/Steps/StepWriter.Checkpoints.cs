using Amp.Generator.Emit;
using Amp.Generator.Model;

namespace Amp.Generator.Steps;

// [Recompute] (activation checkpointing): a module instance's activations are not kept for the backward. Its forward
// steps are written again just before its first backward step, into new locals (t{id}C), and its backward steps read
// those; the forward's buffers then die with the forward pass. The same kernels on the same inputs give the same bits.
internal sealed partial class StepWriter
{
    /// <summary>Per planned node: the [Recompute] region (module call) it is in, or -1.</summary>
    private readonly int[] regionOf;

    /// <summary>The region whose recomputed copies this step reads and writes (-1: none).</summary>
    private int checkpoint = -1;

    /// <summary>While the forward of a region is written again: declarations get the copies' names.</summary>
    private bool recomputing;

    private bool Checkpointed(int id) => phase == StepPhase.Backward && checkpoint >= 0 && regionOf[id] == checkpoint;

    private string Renamed(string local) => recomputing ? local + "C" : local;

    /// <summary>The forward steps of region <paramref name="region"/> again, in forward order, declaring the copies its backward reads.</summary>
    private IEnumerable<(StepSpec Step, HashSet<string> Locals)> WriteCheckpoint(int region)
    {
        bool first = true;
        var written = new List<(StepSpec, HashSet<string>)>();
        recomputing = true;
        foreach (PlannedNode node in plan.Nodes.Where(n => regionOf[n.Id] == region && !n.InLoss && !IsInsideChain(n)))
        {
            bool header = first;
            written.Add(Step(node.Id, w =>
            {
                if (header)
                {
                    w.Line("// [Recompute]: the module's forward again, for its backward (none of its activations was kept)");
                }

                WriteNode(w, node);
            }));
            first = false;
        }

        recomputing = false;
        return written;
    }
}

/// <summary>The [Recompute] regions of a plan: the outermost module calls marked [Recompute], and each planned node's region.</summary>
internal static class Checkpoints
{
    public static IReadOnlyList<ModuleCallSpec> Calls(PlanSpec plan)
    {
        var marked = plan.Spec.Calls.Where(c => c.Recompute).ToList();
        return plan.LossOutput < 0 ? [] : marked.Where(c => !marked.Any(o => o != c && o.First <= c.First && c.End <= o.End)).OrderBy(c => c.First).ToList();
    }

    public static int[] RegionOf(PlanSpec plan)
    {
        IReadOnlyList<ModuleCallSpec> calls = Calls(plan);
        return plan.Nodes.Select(n =>
        {
            for (int r = 0; r < calls.Count; r++)
            {
                if (n.Source >= calls[r].First && n.Source < calls[r].End)
                {
                    return r;
                }
            }

            return -1;
        }).ToArray();
    }
}
