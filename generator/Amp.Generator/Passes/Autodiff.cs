using System.Globalization;
using Amp.Generator.Model;

namespace Amp.Generator.Passes;

/// <summary>
/// Reverse-mode autodiff, decided at compile time: which tensors need a gradient (those that depend on a weight),
/// and for each fused elementwise chain the derivative of its result with respect to each leaf, differentiated
/// symbolically through the chain so the backward recomputes the chain's inner values from its leaves instead of
/// saving them. The emitter writes the backward kernels of the other ops from the plan directly.
/// </summary>
internal static class Autodiff
{
    public static StepResult<PlanSpec> Run(StepResult<PlanSpec> fused, CancellationToken cancellationToken)
    {
        if (fused.Value is not { } plan)
        {
            return fused;
        }

        var needs = new bool[plan.Nodes.Count];
        foreach (PlannedNode node in plan.Nodes)
        {
            needs[node.Id] = OpTable.Row(node.Kind).OwnsWeights || node.Inputs.Any(i => needs[i]);
        }

        var grads = new List<GradChainSpec>();
        foreach (ChainSpec chain in plan.Chains)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (OpTable.IsMeanLoss(plan.Nodes[chain.Root].Kind))
            {
                continue;
            }

            var absorbed = new HashSet<int>(plan.Nodes.Where(n => n.Chain == chain.Index && n.Id != chain.Root).Select(n => n.Id));
            List<int> leaves = [.. chain.Leaves];
            for (int k = 0; k < leaves.Count; k++)
            {
                if (!needs[leaves[k]])
                {
                    continue;
                }

                Term derivative = Derive(chain.Root, k, plan.Nodes, absorbed, leaves) ?? Term.Zero;
                if (derivative is Term.Constant { Value: 0f })
                {
                    // No gradient reaches this leaf (a Where's condition, a mask): its gradient stays as zeroed.
                    continue;
                }

                Term product = Term.Product(new Term.Raw("g"), derivative);
                grads.Add(new GradChainSpec(chain.Index, k, product.Render(vector: false), product.Render(vector: true)));
            }
        }

        return new StepResult<PlanSpec>(plan with { NeedsGradient = needs.ToEquatableArray(), GradChains = grads.ToEquatableArray() }, fused.Diagnostics);
    }

    /// <summary>d(node)/d(leaf k) inside a chain; null when the node does not depend on that leaf.</summary>
    private static Term? Derive(int id, int k, IReadOnlyList<PlannedNode> nodes, ISet<int> absorbed, IList<int> leaves)
    {
        if (!absorbed.Contains(id) && leaves.Contains(id))
        {
            return leaves.IndexOf(id) == k ? Term.One : null;
        }

        // The chain rule over the row's derivatives: sum over inputs of d(op)/d(input) * d(input)/d(leaf).
        PlannedNode node = nodes[id];
        string[] derivatives = OpTable.Row(node.Kind).Math!.Derivatives;
        Term? total = null;
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            Term? inner = Derive(node.Inputs[i], k, nodes, absorbed, leaves);
            if (inner is not null)
            {
                total = Term.Sum(total, Term.Product(Factor(derivatives[i], node, nodes, absorbed, leaves), inner));
            }
        }

        return total;
    }

    /// <summary>A row's derivative as a term: 0, 1, -1 and {c} fold as constants, anything else is FP32 code over the inputs' values.</summary>
    private static Term Factor(string derivative, PlannedNode node, IReadOnlyList<PlannedNode> nodes, ISet<int> absorbed, IList<int> leaves) => derivative switch
    {
        "0" => Term.Zero,
        "1" => Term.One,
        "-1" => new Term.Constant(-1f),
        "{c}" => new Term.Constant(node.Float),
        _ => new Term.Raw(Fusion.Substitute(derivative, node, i => Value(node.Inputs[i], nodes, absorbed, leaves))),
    };

    private static string Value(int id, IReadOnlyList<PlannedNode> nodes, ISet<int> absorbed, IList<int> leaves) =>
        absorbed.Contains(id) ? Fusion.Expression(id, nodes, absorbed, leaves) : "x" + leaves.IndexOf(id).ToString(CultureInfo.InvariantCulture);

    /// <summary>A small expression tree, so constants fold and render as vectors where a Vector256 needs them.</summary>
    private abstract record Term
    {
        public static readonly Term One = new Constant(1f);
        public static readonly Term Zero = new Constant(0f);

        public static Term? Sum(Term? a, Term? b) => (a, b) switch
        {
            (null, _) => b,
            (_, null) => a,
            (Constant x, Constant y) => new Constant(x.Value + y.Value),
            (Constant { Value: 0f }, _) => b,
            (_, Constant { Value: 0f }) => a,
            _ => new Add(a, b),
        };

        public static Term? Negate(Term? a) => a switch
        {
            null => null,
            Constant c => new Constant(-c.Value),
            _ => new Neg(a),
        };

        public static Term? ProductOrNull(Term? a, Term? b) => a is null || b is null ? null : Product(a, b);

        public static Term Product(Term a, Term b) => (a, b) switch
        {
            (Constant x, Constant y) => new Constant(x.Value * y.Value),
            (Constant { Value: 0f }, _) or (_, Constant { Value: 0f }) => Zero,
            (Constant { Value: -1f }, _) => Negate(b)!,
            (Constant { Value: 1f }, _) => b,
            (_, Constant { Value: 1f }) => a,
            _ => new Mul(a, b),
        };

        public abstract string Render(bool vector);

        public sealed record Constant(float Value) : Term
        {
            public override string Render(bool vector) =>
                vector ? $"global::System.Runtime.Intrinsics.Vector256.Create({Fusion.Literal(Value)})" : Fusion.Literal(Value);
        }

        public sealed record Raw(string Text) : Term
        {
            public override string Render(bool vector) => Text;
        }

        public sealed record Add(Term A, Term B) : Term
        {
            public override string Render(bool vector) => $"({A.Render(vector)} + {B.Render(vector)})";
        }

        public sealed record Neg(Term A) : Term
        {
            public override string Render(bool vector) => $"(-{A.Render(vector)})";
        }

        /// <summary>A constant factor is written as a scalar (vector * float works for Vector256).</summary>
        public sealed record Mul(Term A, Term B) : Term
        {
            public override string Render(bool vector) => (A, B) switch
            {
                (Constant c, _) => $"({B.Render(vector)} * {c.Render(false)})",
                (_, Constant c) => $"({A.Render(vector)} * {c.Render(false)})",
                _ => $"({A.Render(vector)} * {B.Render(vector)})",
            };
        }
    }
}
