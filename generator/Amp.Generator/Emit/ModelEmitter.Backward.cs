using System.Globalization;
using System.Text.RegularExpressions;
using Amp.Generator.Model;
using Amp.Generator.Passes;

namespace Amp.Generator.Emit;

// RunBackward: the graph in reverse, one commented block per op that needs a gradient. Gradients are FP32 buffers
// zeroed per pass and every kernel accumulates into them (dx += ...), so a tensor read by several ops sums their
// contributions. A Reshape's or a Cast's gradient is its input's gradient (a view), so neither costs a pass.
internal sealed partial class ModelEmitter
{
    private static readonly Regex TensorLocal = new(@"\b[tg]\d+[A-Za-z0-9]*\b", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private void WriteBackward(CodeWriter w)
    {
        // Each tensor's gradient: a zeroed FP32 buffer declared just before the first block that adds to it, so the
        // memory planner sees it live only from there; a Reshape's or Cast's gradient is a view of its input's.
        int forwardDeclarations = declarations.Count;
        var gradients = new Dictionary<string, (string Initializer, string? Viewed)>(StringComparer.Ordinal);
        foreach (PlannedNode n in plan.Nodes.Where(n => Needs(n.Id) && n.Kind != OpKind.Input && !IsInsideChain(n)))
        {
            string shape = Dims(n.Shape.Count == 0 ? [1] : n.Shape);
            gradients[$"g{n.Id}"] = n.Kind switch
            {
                OpKind.Reshape => ($"g{n.Inputs[0]}.Reshape({shape})", $"g{n.Inputs[0]}"),
                OpKind.Cast => ($"g{n.Inputs[0]}", $"g{n.Inputs[0]}"),
                _ => (Gradient(n.Shape.ToArray()), null),
            };
        }

        var blocks = new List<CodeWriter>();
        var seed = new CodeWriter();
        if (Needs(plan.LossOutput))
        {
            seed.Line($"{Device}.Fill(g{plan.LossOutput}, seed);");
        }
        else
        {
            // The loss reads no weight (MseLoss(t, t)): every gradient is zero, and there is nothing to seed.
            seed.Line("// The loss does not depend on any weight: every weight gradient stays zero.");
        }

        blocks.Add(seed);
        foreach (PlannedNode n in plan.Nodes.Reverse().Where(n => Needs(n.Id) && !IsInsideChain(n) && EmitterOf(n.Kind)?.Backward is not null))
        {
            var block = new CodeWriter();
            WriteNodeBackward(block, n);
            blocks.Add(block);
        }

        List<string> texts = Recompute(blocks.Select(b => b.ToString()).ToList());
        var body = new CodeWriter();
        planner.StartBackward();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        void DeclareGradient(CodeWriter into, string local)
        {
            if (!gradients.TryGetValue(local, out var g) || !declared.Add(local))
            {
                return;
            }

            if (g.Viewed is not null)
            {
                DeclareGradient(into, g.Viewed);
            }

            Declare(into, local, g.Initializer);
        }

        for (int b = 0; b < texts.Count; b++)
        {
            string code = texts[b];
            var withDeclarations = new CodeWriter();
            foreach (Match m in TensorLocal.Matches(code))
            {
                DeclareGradient(withDeclarations, m.Value);
            }

            if (b > 0)
            {
                body.Line();
            }

            foreach (string line in code.Split('\n').Take(code.Split('\n').Length - 1))
            {
                withDeclarations.Line(line);
            }

            Append(body, withDeclarations);
        }

        // The saved activations this pass reads, fetched again by slot (and the views over them).
        string text = body.ToString();
        var used = new HashSet<string>(TensorLocal.Matches(text).Cast<Match>().Select(m => m.Value).Where(l => l.StartsWith("t", StringComparison.Ordinal)));
        for (int i = forwardDeclarations - 1; i >= 0; i--)
        {
            if (used.Contains(declarations[i].Local))
            {
                used.UnionWith(TensorLocal.Matches(declarations[i].Initializer).Cast<Match>().Select(m => m.Value));
            }
        }

        w.Line()
         .Line("/// <summary>The backward pass: every gradient of the graph in reverse, seeded at the loss with <paramref name=\"seed\"/> (the loss scale).</summary>")
         .Open($"protected override void RunBackward({Ns}Compilation.ForwardRun run, float seed)")
         .Line($"{Ns}AmpDevice {Device} = run.Device;")
         .Line("int B = run.BatchSize;")
         .Line("// Saved activations, in the precision they were stored in.");
        foreach ((string local, string initializer) in declarations.Take(forwardDeclarations).Where(d => used.Contains(d.Local)).Distinct())
        {
            w.Line($"var {local} = {initializer};");
        }

        w.Line();
        foreach (string line in text.Split('\n').Take(text.Split('\n').Length - 1))
        {
            w.Line(line.Length == 0 ? string.Empty : line);
        }

        w.Close();
    }

    /// <summary>
    /// Cheap elementwise results are recomputed rather than kept: a fused chain's output that the backward reads
    /// (a Linear's input for its weight gradient, a loss's input) is computed again from its leaves just before that
    /// read when keeping the leaves costs fewer bytes than keeping the output (leaves the backward keeps anyway, and
    /// inputs, cost nothing). The forward buffer then dies with the forward pass. Chains are visited last first, so
    /// a recomputed chain that feeds another is itself recomputed.
    /// </summary>
    private List<string> Recompute(List<string> texts)
    {
        // The locals each block names, found once; renames go through the one compiled pattern.
        List<HashSet<string>> names = texts.Select(Locals).ToList();
        var referenced = new HashSet<string>(names.SelectMany(n => n));
        foreach (ChainSpec chain in plan.Chains.Reverse())
        {
            PlannedNode root = plan.Nodes[chain.Root];
            string local = $"t{root.Id}", renamed = local + "R";
            long extra = chain.Leaves.Where(l => !referenced.Contains($"t{l}") && plan.Nodes[l].Kind != OpKind.Input).Sum(l => SampleBytes(plan.Nodes[l]));
            if (root.Kind == OpKind.MseLoss || !referenced.Contains(local) || extra >= SampleBytes(root))
            {
                continue;
            }

            referenced.UnionWith(chain.Leaves.Select(l => $"t{l}"));
            int first = names.FindIndex(n => n.Contains(local));
            var recompute = new CodeWriter();
            recompute.Line($"// line {root.Line}, chain {chain.Index} = {chain.Description}: recomputed from its leaves instead of kept from the forward pass");
            Declare(recompute, renamed, Allocate(root.Output, root.Shape.ToArray()));
            recompute.Line(MapCall(chain, renamed));
            for (int i = first; i < texts.Count; i++)
            {
                if (names[i].Remove(local))
                {
                    texts[i] = TensorLocal.Replace(texts[i], m => m.Value == local ? renamed : m.Value);
                    names[i].Add(renamed);
                }
            }

            texts.Insert(first, recompute.ToString());
            names.Insert(first, Locals(texts[first]));
        }

        return texts;
    }

    private static HashSet<string> Locals(string code) => new(TensorLocal.Matches(code).Cast<Match>().Select(m => m.Value), StringComparer.Ordinal);

    private static long SampleBytes(PlannedNode n) =>
        n.Shape.Where(d => d != Shapes.Batch).Aggregate(n.Output == Precision.Fp32 ? 4L : 2L, (a, b) => a * b);

    private bool Needs(int id) => plan.NeedsGradient.Count > id && plan.NeedsGradient[id];

    /// <summary>An op absorbed into a fused chain: its gradient never exists, the chain's backward skips over it.</summary>
    private bool IsInsideChain(PlannedNode n) => n.Chain >= 0 && plan.Chains[n.Chain].Root != n.Id;

    private void WriteNodeBackward(CodeWriter w, PlannedNode n)
    {
        w.Line(n.Chain >= 0 && n.Kind != OpKind.MseLoss
            ? $"// line {n.Line}, backward of chain {n.Chain} = {plan.Chains[n.Chain].Description}: recomputed from its inputs in FP32"
            : $"// line {n.Line}, backward of {n.Name} ({n.Kind})");
        EmitterOf(n.Kind)!.Backward!(this, w, Site(n));
    }

    private void WriteMatMulBackward(CodeWriter w, PlannedNode n, int[] a, int[] b)
    {
        string x = $"t{n.Inputs[0]}", y = $"t{n.Inputs[1]}", dy = $"g{n.Id}";
        string? ga = Needs(n.Inputs[0]) ? $"g{n.Inputs[0]}" : null, gb = Needs(n.Inputs[1]) ? $"g{n.Inputs[1]}" : null;
        string m = Dim(a[a.Length - 2]), k = Dim(a[a.Length - 1]), cols = Dim(b[b.Length - 1]);
        bool shared = b.Length == 2 && b[0] != Shapes.Batch;
        string batch = Rows(a.Take(a.Length - 1).ToArray());
        string A(string t) => shared ? $"{t}.Reshape({Rows(a)}, {k})" : $"{t}.Reshape({batch}, {m}, {k})";
        string B(string t) => shared ? t : $"{t}.Reshape({batch}, {k}, {cols})";
        string C(string t) => shared ? $"{t}.Reshape({Rows(n.Shape)}, {cols})" : $"{t}.Reshape({batch}, {m}, {cols})";

        // dA += dC B^T; dB += A^T dC (summed over the batch when B is shared).
        if (ga is not null)
        {
            w.Line($"{Device}.Gemm({C(dy)}, {B(y)}, {A(ga)}, AccumulateTransposeB);");
        }

        if (gb is not null)
        {
            w.Line($"{Device}.Gemm({A(x)}, {C(dy)}, {B(gb)}, AccumulateTransposeA);");
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
        string dContext = $"g{n.Id}Context", dProbs = $"g{n.Id}Probs", dScores = $"g{n.Id}Scores";
        Declare(w, dContext, Gradient(split));
        Declare(w, dProbs, Gradient(scores));
        Declare(w, dScores, Gradient(scores));
        w.Line($"{Device}.SwapMiddleAccumulate(g{n.Id}, {dContext}, {outer}, {t}, {heads}, {d});")
         .Line($"{Device}.Gemm({H(dContext)}, {H($"t{n.Id}V")}, {S(dProbs)}, AccumulateTransposeB);")
         .Line($"{Device}.SoftmaxBackward(t{n.Id}Probs, {dProbs}, {dScores}, log: false);");
        string[] names = ["Q", "K", "V"];
        for (int i = 0; i < 3; i++)
        {
            if (!Needs(n.Inputs[i]))
            {
                continue;
            }

            // dQ = alpha dS K, dK = alpha dS^T Q, dV = P^T dC; each back to [.., T, heads * d] into the input's gradient.
            string part = $"g{n.Id}{names[i]}";
            Declare(w, part, Gradient(split));
            w.Line(i switch
            {
                0 => $"{Device}.Gemm({S(dScores)}, {H($"t{n.Id}K")}, {H(part)}, new {Ns}GemmOptions {{ Alpha = {alpha} }});",
                1 => $"{Device}.Gemm({S(dScores)}, {H($"t{n.Id}Q")}, {H(part)}, new {Ns}GemmOptions {{ TransposeA = true, Alpha = {alpha} }});",
                _ => $"{Device}.Gemm({S($"t{n.Id}Probs")}, {H(dContext)}, {H(part)}, new {Ns}GemmOptions {{ TransposeA = true }});",
            });
            w.Line($"{Device}.SwapMiddleAccumulate({part}, g{n.Inputs[i]}, {outer}, {heads}, {t}, {d});");
        }
    }

    private void WriteChainBackward(CodeWriter w, PlannedNode root)
    {
        ChainSpec chain = plan.Chains[root.Chain];
        foreach (GradChainSpec grad in plan.GradChains.Where(g => g.Chain == chain.Index))
        {
            int leaf = chain.Leaves[grad.Leaf];
            string target = $"g{leaf}";
            bool broadcast = !plan.Nodes[leaf].Shape.SequenceEqual(root.Shape);
            if (broadcast)
            {
                // A leaf shorter than the chain's output was broadcast: its gradient is the per-repeat sum.
                target = $"g{root.Id}To{leaf}";
                Declare(w, target, Gradient(root.Shape.ToArray()));
            }

            // Only the leaves the derivative reads are passed (an Add's gradient reads none); the others are null, never kept.
            bool Reads(int i) => ReadsLeaf(chain, grad, i);
            IEnumerable<string> types = Enumerable.Range(0, MaxLeaves).Select(i => Reads(i) ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float");
            int last = Enumerable.Range(0, MaxLeaves).Where(Reads).DefaultIfEmpty(-1).Max();
            IEnumerable<string> leaves = Enumerable.Range(0, last + 1).Select(i => Reads(i) ? $"t{chain.Leaves[i]}" : "null");
            string name = GradChainName(grad);
            w.Line($"run.Grad<{name}, {string.Join(", ", types)}>({name}.Kernel, {string.Join(", ", new[] { target, $"g{root.Id}" }.Concat(leaves))});");
            if (broadcast)
            {
                w.Line($"{Device}.AccumulateRows({target}, g{leaf});");
            }
        }
    }

    private void WriteGradChain(CodeWriter w, GradChainSpec grad)
    {
        ChainSpec chain = plan.Chains[grad.Chain];
        string v = "global::System.Runtime.Intrinsics.Vector256<float>";
        string Qualify(string e) => e.Replace("ChainMath.", Ns + "Compilation.ChainMath.").Replace("ChainGradMath.", Ns + "Compilation.ChainGradMath.");
        bool Reads(int i) => ReadsLeaf(chain, grad, i);
        int[] read = Enumerable.Range(0, MaxLeaves).Where(Reads).ToArray();
        string views = string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i => $"global::ILGPU.ArrayView<{(Reads(i) ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")}> x{Int(i)}"));
        w.Line($"/// <summary>Backward of chain {chain.Index} ({chain.Description}) into x{grad.Leaf} = {plan.Nodes[chain.Leaves[grad.Leaf]].Name}: g * d(chain)/d(x{grad.Leaf}).</summary>")
         .Open($"private readonly struct {GradChainName(grad)} : {Ns}Compilation.IGradChain")
         .Line($"/// <summary>The leaves the derivative reads: {LeafList(read)}.</summary>")
         .Line($"public static int Reads => {ReadMask(read)};")
         .Line()
         .Line($"public static float Apply(float g, float x0, float x1, float x2, float x3) => {Qualify(grad.Scalar)};")
         .Line()
         .Line($"public static {v} Apply({v} g, {v} x0, {v} x1, {v} x2, {v} x3) => {Qualify(grad.Vector)};")
         .Line()
         .Line("/// <summary>The ILGPU kernel: dx[i] += Apply(g[i], leaves), leaves broadcast as in the forward chain; only read leaves are loaded.</summary>")
         .Open($"public static void Kernel(global::ILGPU.Index1D index, global::ILGPU.ArrayView<float> g, {views}, global::ILGPU.ArrayView<float> dx, {Ns}Compilation.ChainExtent e)")
         .Open("for (int i = index; i < e.Length; i += e.Stride)")
         .Line($"dx[i] += Apply(g[i], {Loads(Reads)});")
         .Close()
         .Close()
         .Close();
    }

    /// <summary>Whether leaf slot <paramref name="i"/> appears in the derivative (slots it does not read are bound to the gradient and never loaded).</summary>
    private static bool ReadsLeaf(ChainSpec chain, GradChainSpec grad, int i) =>
        i < chain.Leaves.Count && Regex.IsMatch(grad.Scalar, $@"\bx{i.ToString(CultureInfo.InvariantCulture)}\b");

    private static string GradChainName(GradChainSpec grad) => $"Chain{grad.Chain}Grad{grad.Leaf.ToString(CultureInfo.InvariantCulture)}";

    private string Gradient(int[] shape) =>
        $"run.Gradient({planner.Allocate(Precision.Fp32, shape)}, {Dims(shape.Length == 0 ? [1] : shape)})";
}
