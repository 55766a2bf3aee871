using Amp.Generator.Model;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

// Fused chains in the step: the call that runs one (its kernel struct is printed with the compiled class).
internal sealed partial class StepWriter
{
    /// <summary>The call that runs a chain into <paramref name="output"/>: its leaves' storage types, float for absent slots.</summary>
    private string MapCall(ChainSpec chain, string output)
    {
        PlannedNode root = plan.Nodes[chain.Root];
        Precision stored = OpTable.IsMeanLoss(root.Kind) ? Precision.Fp32 : root.Output;
        IEnumerable<string> types = Enumerable.Range(0, MaxLeaves)
            .Select(i => i < chain.Leaves.Count ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")
            .Concat([Storage(stored)]);
        string leaves = string.Join(", ", chain.Leaves.Select(T));
        string name = StepTokens.Chain(chain.Index);
        return $"run.Map<{name}, {string.Join(", ", types)}>({name}.Kernel, {output}, {leaves});";
    }
}
