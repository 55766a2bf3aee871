using Amp.Generator.Emit;
using Amp.Generator.Model;
using Amp.Generator.Passes;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

// RunBackward: the graph in reverse, one commented step per op that needs a gradient. A gradient is a buffer that
// kernels add into (dx += ...), so a tensor read by several ops sums their contributions; its first writer, when it
// covers all of it (a product, a chain's backward, a copy), writes it instead and the buffer is not zeroed first
// (run.GradientToWrite, see GInto); every other gradient is zeroed when declared. An activation's gradient takes the
// activation's precision (PyTorch's rule; all FP32 with Fp32Gradients): kernels compute in FP32 and round what they add
// once. A Reshape's gradient is its input's (a view), and so is a Cast's when both sides' gradients have one precision;
// otherwise the Cast's backward adds its gradient into its input's, converting once.
internal sealed partial class StepWriter
{
    /// <summary>The seed, then one step per op that needs a gradient, in reverse, with the recomputes placed before their first reader.</summary>
    private List<(StepSpec Step, HashSet<string> Locals)> WriteBackward()
    {
        // Each tensor's gradient: a buffer declared just before the first step that writes or adds to it, so the memory
        // plan sees it live only from there; a Reshape's or Cast's gradient is a view of its input's.
        foreach (PlannedNode n in plan.Nodes.Where(n => Needs(n.Id) && n.Kind != OpKind.Input && !IsInsideChain(n)))
        {
            int[] shape = n.Shape.Count == 0 ? [1] : n.Shape.ToArray();
            gradients[$"g{n.Id}"] = n.Kind switch
            {
                OpKind.Reshape or OpKind.Flatten => ($"g{n.Inputs[0]}", $"{StepTokens.Local($"g{n.Inputs[0]}")}.Reshape({Dims(shape)})", shape, GradientOf(n.Id)),
                OpKind.Cast when IsGradientView(n) => ($"g{n.Inputs[0]}", StepTokens.Local($"g{n.Inputs[0]}"), shape, GradientOf(n.Id)),
                _ => (null, null, n.Shape.ToArray(), GradientOf(n.Id)),
            };
        }

        // The recomputed outputs get their buffers first: the steps that read them are written before the recompute itself.
        foreach (int root in recomputed)
        {
            PlannedNode n = plan.Nodes[root];
            bufferOf[$"t{root}R"] = NewBuffer($"t{root}R", n.Output, n.Shape);
        }

        var steps = new List<(StepSpec Step, HashSet<string> Locals)>
        {
            Step(-1, w =>
            {
                if (Needs(plan.LossOutput))
                {
                    w.Line($"{Device}.Fill({G(plan.LossOutput)}, seed);");
                }
                else
                {
                    // The loss reads no weight (MseLoss(t, t)): every gradient is zero, and there is nothing to seed.
                    w.Line("// The loss does not depend on any weight: every weight gradient stays zero.");
                }
            }),
        };

        var checkpointed = new HashSet<int>();
        foreach (PlannedNode n in plan.Nodes.Reverse().Where(n => Needs(n.Id) && !IsInsideChain(n) && EmitterOf(n.Kind)?.Backward is not null && !IsGradientView(n)))
        {
            // A [Recompute] module's forward runs again just before its first backward step; its backward reads those copies.
            checkpoint = regionOf[n.Id];
            if (checkpoint >= 0 && checkpointed.Add(checkpoint))
            {
                steps.AddRange(WriteCheckpoint(checkpoint));
            }

            steps.Add(Step(n.Id, w => WriteNodeBackward(w, n)));
            checkpoint = -1;
        }

        foreach (int root in recomputed)
        {
            int buffer = bufferOf[$"t{root}R"]!.Value;
            int first = steps.FindIndex(s => s.Step.Reads.Contains(buffer));
            (StepSpec step, HashSet<string> locals) = Step(root, w => WriteRecompute(w, plan.Nodes[root], buffer));
            steps.Insert(first, (step with { Recompute = true }, locals));
        }

        return steps;
    }

    /// <summary>A recomputed chain output: the chain run again from its leaves just before the backward first reads it.</summary>
    private void WriteRecompute(CodeWriter w, PlannedNode root, int buffer)
    {
        ChainSpec chain = plan.Chains[root.Chain];
        string local = $"t{root.Id}R";
        w.Line($"// {SourceMap.FileLineOf(root.Source)}, {StepTokens.Chain(chain.Index)} = {chain.Description}: recomputed from its leaves instead of kept from the forward pass");
        w.Line(MapCall(chain, DeclareBuffer(w, local, buffer, root.Output, root.Shape)));
    }

    /// <summary>
    /// Cheap elementwise results are recomputed rather than kept: a fused chain's output that the backward reads
    /// (a Linear's input for its weight gradient, a loss's input) is computed again from its leaves just before that
    /// read when keeping the leaves costs fewer bytes than keeping the output (leaves the backward keeps anyway, and
    /// inputs, cost nothing). The forward buffer then dies with the forward pass. Chains are visited last first, so
    /// a recomputed chain that feeds another is itself recomputed. Decided on the locals each backward step reads.
    /// </summary>
    private static List<int> RecomputeOrder(PlanSpec plan, List<HashSet<string>> backwardReads, int[] regionOf)
    {
        var referenced = new HashSet<string>(backwardReads.SelectMany(r => r), StringComparer.Ordinal);
        var order = new List<int>();
        foreach (ChainSpec chain in plan.Chains.Reverse())
        {
            PlannedNode root = plan.Nodes[chain.Root];
            long extra = chain.Leaves.Where(l => !referenced.Contains($"t{l}") && plan.Nodes[l].Kind != OpKind.Input).Sum(l => SampleBytes(plan.Nodes[l]));
            if (OpTable.IsMeanLoss(root.Kind) || regionOf[root.Id] >= 0 || !referenced.Contains($"t{root.Id}") || extra >= SampleBytes(root))
            {
                continue;
            }

            referenced.UnionWith(chain.Leaves.Select(l => $"t{l}"));
            order.Add(root.Id);
        }

        return order;
    }

    private void DeclareGradient(string local)
    {
        if (phase != StepPhase.Backward || !gradients.TryGetValue(local, out var g) || !declaredGradients.Add(local))
        {
            return;
        }

        if (g.Viewed is { } viewed)
        {
            DeclareGradient(viewed);
            DeclareView(prelude, local, viewed, g.Initializer!);
            return;
        }

        Gradient(prelude, local, g.Precision, g.Shape, zeroed: !declaringToWrite);
    }

    /// <summary>Set while <see cref="GInto"/> declares a gradient that its step writes whole.</summary>
    private bool declaringToWrite;

    /// <summary>Whether <paramref name="local"/> (or the gradient it is a view of) has been declared by an earlier statement.</summary>
    private bool IsDeclared(string local) =>
        declaredGradients.Contains(local) || (gradients.TryGetValue(local, out var g) && g.Viewed is { } viewed && IsDeclared(viewed));

    /// <summary>
    /// The gradient of node <paramref name="id"/> for a statement that can write all of it. When nothing has added to
    /// it yet it is declared without zeroing and <paramref name="overwrite"/> is true: the statement must then write it
    /// (beta 0, a copy, a chain's backward with overwrite), not add to it. Later contributions add as usual.
    /// </summary>
    internal string GInto(int id, out bool overwrite)
    {
        string local = $"g{id}";
        overwrite = phase == StepPhase.Backward && gradients.ContainsKey(local) && !IsDeclared(local);
        if (overwrite)
        {
            declaringToWrite = true;
            DeclareGradient(local);
            declaringToWrite = false;
        }

        return G(id);
    }

    /// <summary>
    /// The precision of node <paramref name="id"/>'s gradient: PyTorch's rule, the activation's own precision (a
    /// BF16 tensor's gradient is BF16); FP32 for every activation with <c>Fp32Gradients</c>.
    /// </summary>
    internal static Precision GradientPrecision(PlanSpec plan, int id) =>
        plan.Spec.Fp32Gradients || OpTable.IsMeanLoss(plan.Nodes[id].Kind) ? Precision.Fp32 : plan.Nodes[id].Output;

    private Precision GradientOf(int id) => GradientPrecision(plan, id);

    /// <summary>A gradient the rule keeps in FP32 under Fp32Gradients and in <paramref name="precision"/> otherwise (an op's own scratch gradients).</summary>
    private Precision GradientIn(Precision precision) => spec.Fp32Gradients ? Precision.Fp32 : precision;

    /// <summary>A Reshape, or a Cast whose input's gradient has the precision of its own: its gradient is a view of its input's, no step.</summary>
    private bool IsGradientView(PlannedNode n) => n.Kind is OpKind.Reshape or OpKind.Flatten || (n.Kind == OpKind.Cast && GradientOf(n.Inputs[0]) == GradientOf(n.Id));

    private void WriteNodeBackward(CodeWriter w, PlannedNode n)
    {
        w.Line(n.Chain >= 0 && !OpTable.IsMeanLoss(n.Kind)
            ? $"// {SourceMap.FileLineOf(n.Source)}, backward of {StepTokens.Chain(n.Chain)} = {plan.Chains[n.Chain].Description}: recomputed from its inputs in FP32"
            : $"// {SourceMap.FileLineOf(n.Source)}, backward of {n.Name} ({n.Kind})");
        EmitterOf(n.Kind)!.Backward!(this, w, Site(n));
    }

    private void WriteMatMulBackward(CodeWriter w, PlannedNode n, int[] a, int[] b)
    {
        string m = Dim(a[a.Length - 2]), k = Dim(a[a.Length - 1]), cols = Dim(b[b.Length - 1]);
        bool shared = b.Length == 2 && b[0] != Shapes.Batch;
        string batch = Rows(a.Take(a.Length - 1).ToArray());
        string A(string t) => shared ? $"{t}.Reshape({Rows(a)}, {k})" : $"{t}.Reshape({batch}, {m}, {k})";
        string B(string t) => shared ? t : $"{t}.Reshape({batch}, {k}, {cols})";
        string C(string t) => shared ? $"{t}.Reshape({Rows(n.Shape)}, {cols})" : $"{t}.Reshape({batch}, {m}, {cols})";

        // dA += dC B^T; dB += A^T dC (summed over the batch when B is shared).
        if (Needs(n.Inputs[0]))
        {
            string dy = Dy(n.Id), dA = GInto(n.Inputs[0], out bool overwrite);
            w.Line($"{Device}.Gemm({C(dy)}, {B(T(n.Inputs[1]))}, {A(dA)}, {(overwrite ? Options(n, "TransposeB = true") : Named(n, "AccumulateTransposeB"))});");
        }

        if (Needs(n.Inputs[1]))
        {
            w.Line($"{Device}.Gemm({A(T(n.Inputs[0]))}, {C(Dy(n.Id))}, {B(G(n.Inputs[1]))}, {Named(n, "AccumulateTransposeA")});");
        }
    }

    private void WriteAttentionBackward(CodeWriter w, PlannedNode n, int[] q)
    {
        int heads = n.Ints[0], t = q[q.Length - 2], d = q[q.Length - 1] / heads;
        string outer = Rows(q.Take(q.Length - 1).ToArray()), groups = $"{outer} * {heads}";
        int[] split = [.. q.Take(q.Length - 2), heads, t, d], scores = [.. q.Take(q.Length - 2), heads, t, t];
        string alpha = Fusion.Literal((float)(1 / Math.Sqrt(d)));
        string S(string local) => $"{local}.Reshape({groups}, {t}, {t})";
        string H(string local) => $"{local}.Reshape({groups}, {t}, {d})";
        // The parts' gradients take the parts' precision; the scores' gradient the products' (n.Compute), so that dQ and dK are products of uniform operands.
        Precision low = GradientIn(n.Compute);
        // dContext and dProbs are written whole by their first statement (a copy, a product with beta 0): not zeroed.
        bool copy = GradientOf(n.Id) == low;
        string dContext = Gradient(w, $"g{n.Id}Context", low, split, zeroed: !copy);
        string dProbs = Gradient(w, $"g{n.Id}Probs", low, scores, zeroed: false), dScores = Gradient(w, $"g{n.Id}Scores", low, scores);
        w.Line($"{Device}.{(copy ? "SwapMiddle" : "SwapMiddleAccumulate")}({Dy(n.Id)}, {dContext}, {outer}, {t}, {heads}, {d});")
         .Line($"{Device}.Gemm({H(dContext)}, {H(T(n.Id, "V"))}, {S(dProbs)}, {Options(n, "TransposeB = true")});")
         .Line($"{Device}.SoftmaxBackward({T(n.Id, "Probs")}, {dProbs}, {dScores}, log: false);");
        string[] names = ["Q", "K", "V"];
        for (int i = 0; i < 3; i++)
        {
            if (!Needs(n.Inputs[i]))
            {
                continue;
            }

            // dQ = alpha dS K, dK = alpha dS^T Q, dV = P^T dC; each back to [.., T, heads * d] into the input's gradient.
            string part = Gradient(w, $"g{n.Id}{names[i]}", low, split, zeroed: false);
            w.Line(i switch
            {
                0 => $"{Device}.Gemm({S(dScores)}, {H(T(n.Id, "K"))}, {H(part)}, {Options(n, $"Alpha = {alpha}")});",
                1 => $"{Device}.Gemm({S(dScores)}, {H(T(n.Id, "Q"))}, {H(part)}, {Options(n, $"TransposeA = true, Alpha = {alpha}")});",
                _ => $"{Device}.Gemm({S(T(n.Id, "Probs"))}, {H(dContext)}, {H(part)}, {Options(n, "TransposeA = true")});",
            });
            // The part back into the input's gradient: a copy when it is the first to write it (same precision).
            bool first = false;
            string input = GradientOf(n.Inputs[i]) == low ? GInto(n.Inputs[i], out first) : G(n.Inputs[i]);
            w.Line($"{Device}.{(first ? "SwapMiddle" : "SwapMiddleAccumulate")}({part}, {input}, {outer}, {heads}, {t}, {d});");
        }
    }

    private void WriteChainBackward(CodeWriter w, PlannedNode root)
    {
        ChainSpec chain = plan.Chains[root.Chain];
        foreach (GradChainSpec grad in plan.GradChains.Where(g => g.Chain == chain.Index))
        {
            int leaf = chain.Leaves[grad.Leaf];
            bool broadcast = !plan.Nodes[leaf].Shape.SequenceEqual(root.Shape);

            // A leaf shorter than the chain's output was broadcast: its gradient is the per-repeat sum.
            // The first statement to write the leaf's gradient writes it (overwrite: true) instead of adding to zeros.
            bool overwrite = broadcast;
            string target = broadcast ? Gradient(w, $"g{root.Id}To{leaf}", Precision.Fp32, root.Shape.ToArray(), zeroed: false) : GInto(leaf, out overwrite);

            // Only the leaves the derivative reads are passed (an Add's gradient reads none); the others are null, never kept.
            bool Reads(int i) => ChainText.ReadsLeaf(chain, grad, i);
            IEnumerable<string> types = Enumerable.Range(0, MaxLeaves).Select(i => Reads(i) ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float");
            int last = Enumerable.Range(0, MaxLeaves).Where(Reads).DefaultIfEmpty(-1).Max();
            string dy = Dy(root.Id);
            IEnumerable<string> leaves = Enumerable.Range(0, last + 1).Select(i => Reads(i) ? T(chain.Leaves[i]) : "null").ToList();
            string name = StepTokens.GradChain(grad.Chain, grad.Leaf);
            w.Line($"run.Grad<{name}, {string.Join(", ", types)}>({name}.Kernel, {string.Join(", ", new[] { target, dy }.Concat(leaves))}{(overwrite ? ", overwrite: true" : string.Empty)});");
            if (broadcast)
            {
                w.Line($"{Device}.AccumulateRows({target}, {G(leaf)});");
            }
        }
    }

    /// <summary>
    /// Declares <paramref name="local"/> as a gradient buffer of <paramref name="precision"/> and <paramref name="shape"/>;
    /// returns the local. Zeroed, unless <paramref name="zeroed"/> is false: the declaring step's first statement writes
    /// every element of it (run.GradientToWrite), so the fill would be a pass over memory for nothing.
    /// </summary>
    private string Gradient(CodeWriter w, string local, Precision precision, int[] shape, bool zeroed = true)
    {
        int id = NewBuffer(local, precision, shape);
        string of = precision == Precision.Fp32 ? string.Empty : $"{Ns}Precision.{precision}, ";
        string method = zeroed ? "Gradient" : "GradientToWrite";
        return Declare(w, local, $"run.{method}({Placeholder(id)}, {of}{Dims(shape.Length == 0 ? [1] : shape)})", id, viewOf: null);
    }
}
