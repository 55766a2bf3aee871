using System.Globalization;
using Amp.Generator.Model;

namespace Amp.Generator.Passes;

/// <summary>
/// Fuses chains of elementwise ops into one kernel: an op absorbs a producer that only it reads, of the same
/// shape, while the chain reads at most four tensors. Values inside a chain stay in FP32 registers; only the
/// chain's result is rounded to its planned precision (as compilers that fuse AMP graphs do). A mean loss (MseLoss,
/// BinaryCrossEntropyWithLogits) gets a chain of its own for its per-element formula.
/// </summary>
internal static class Fusion
{
    public const int MaxLeaves = 4;

    public static StepResult<PlanSpec> Run(StepResult<PlanSpec> planned, CancellationToken cancellationToken)
    {
        if (planned.Value is not { } plan)
        {
            return planned;
        }

        PlannedNode[] nodes = plan.Nodes.ToArray();
        int[] readers = new int[nodes.Length];
        foreach (PlannedNode node in nodes)
        {
            foreach (int input in node.Inputs)
            {
                readers[input]++;
            }
        }

        var leaves = new Dictionary<int, List<int>>();
        var absorbed = new HashSet<int>();
        var chains = new List<ChainSpec>();
        foreach (PlannedNode node in nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsElementwise(node.Kind))
            {
                continue;
            }

            // Absorb a producer only while the chain, with the inputs still to come, reads at most MaxLeaves tensors.
            var mine = new List<int>();
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                int input = node.Inputs[k];
                PlannedNode producer = nodes[input];
                bool fusable = IsElementwise(producer.Kind) && readers[input] == 1 && producer.Shape == node.Shape
                    && producer.InLoss == node.InLoss && !plan.Outputs.Contains(input)
                    && mine.Union(leaves[input]).Union(node.Inputs.Skip(k + 1)).Count() <= MaxLeaves;
                IEnumerable<int> reads = fusable ? leaves[input] : [input];
                if (fusable)
                {
                    absorbed.Add(input);
                }

                mine.AddRange(reads.Where(l => !mine.Contains(l)));
            }

            leaves[node.Id] = mine;
        }

        // Roots, in graph order: mean losses, and elementwise ops nobody absorbed (their expression inlines the absorbed producers).
        foreach (PlannedNode node in nodes.Where(n => OpTable.IsMeanLoss(n.Kind) || (IsElementwise(n.Kind) && !absorbed.Contains(n.Id))).ToArray())
        {
            int index = chains.Count;
            if (OpTable.Row(node.Kind).MeanOf is { } perElement)
            {
                chains.Add(new ChainSpec(index, node.Id, node.Inputs, perElement, $"{(node.Kind == OpKind.MseLoss ? "squared error" : "per-element loss")} of {node.Name}"));
                nodes[node.Id] = node with { Chain = index };
                continue;
            }

            List<int> mine = leaves[node.Id];
            chains.Add(new ChainSpec(index, node.Id, mine.ToEquatableArray(), Expression(node.Id, nodes, absorbed, mine), Describe(node.Id, nodes, absorbed)));
            Mark(node.Id, index, nodes, absorbed);
        }

        return new StepResult<PlanSpec>(plan with { Nodes = nodes.ToEquatableArray(), Chains = chains.ToEquatableArray() }, planned.Diagnostics);
    }

    /// <summary>Whether the op fuses: its row has an elementwise formula.</summary>
    public static bool IsElementwise(OpKind kind) => OpTable.Find(kind)?.IsElementwise == true;

    private static void Mark(int id, int chain, PlannedNode[] nodes, HashSet<int> absorbed)
    {
        nodes[id] = nodes[id] with { Chain = chain };
        foreach (int input in nodes[id].Inputs.Where(absorbed.Contains))
        {
            Mark(input, chain, nodes, absorbed);
        }
    }

    internal static string Expression(int id, IReadOnlyList<PlannedNode> nodes, ISet<int> absorbed, IList<int> leaves)
    {
        string X(int k)
        {
            int input = nodes[id].Inputs[k];
            return absorbed.Contains(input) ? Expression(input, nodes, absorbed, leaves) : "x" + leaves.IndexOf(input).ToString(CultureInfo.InvariantCulture);
        }

        PlannedNode node = nodes[id];
        return Substitute(OpTable.Row(node.Kind).Math!.Formula, node, X);
    }

    /// <summary>A row's formula or derivative with {0}, {1}.. replaced by the inputs' expressions and {c} by the op's constant.</summary>
    internal static string Substitute(string template, PlannedNode node, Func<int, string> input)
    {
        string text = template.Replace("{c}", Literal(node.Float)).Replace("{c2}", Literal(node.Float2));
        for (int k = 0; k < node.Inputs.Count; k++)
        {
            string placeholder = "{" + k.ToString(CultureInfo.InvariantCulture) + "}";
            if (text.Contains(placeholder))
            {
                text = text.Replace(placeholder, input(k));
            }
        }

        return text;
    }

    private static string Describe(int id, PlannedNode[] nodes, HashSet<int> absorbed)
    {
        PlannedNode node = nodes[id];
        IEnumerable<string> parts = node.Inputs.Select(i => absorbed.Contains(i) ? Describe(i, nodes, absorbed) : nodes[i].Name);
        return $"{node.Kind.ToString().ToLowerInvariant()}({string.Join(", ", parts)})";
    }

    /// <summary>A float as C# source: NaN and the infinities as float.NaN and friends (there is no "NaNf" literal).</summary>
    public static string Literal(float value) =>
        float.IsNaN(value) ? "float.NaN"
        : float.IsPositiveInfinity(value) ? "float.PositiveInfinity"
        : float.IsNegativeInfinity(value) ? "float.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture) + "f";
}
