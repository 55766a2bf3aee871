using Amp.Generator.Emit;
using Amp.Generator.Model;
using Amp.Generator.Passes;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

// RunForward and RunLoss: one commented step per planned op, in graph order.
internal sealed partial class StepWriter
{
    private void WriteNode(CodeWriter w, PlannedNode n)
    {
        string comment = $"// {SourceMap.FileLineOf(n.Source)}, {n.Name}: {n.Kind}, compute {n.Compute.Name()}, stored {n.Output.Name()} {Shapes.Format(n.Shape)} ({n.Reason})";
        if (n.Chain >= 0 && !OpTable.IsMeanLoss(n.Kind))
        {
            comment = $"// {SourceMap.FileLineOf(n.Source)}, {StepTokens.Chain(n.Chain)} = {plan.Chains[n.Chain].Description}: fused, FP32 registers, stored {n.Output.Name()} {Shapes.Format(n.Shape)}";
        }

        w.Line(comment);
        EmitterOf(n.Kind)!.Forward(this, w, Site(n));
    }

    private void WriteMatMul(CodeWriter w, PlannedNode n, int[] a, int[] b, string y)
    {
        string x = T(n.Inputs[0]), other = T(n.Inputs[1]);
        string m = Dim(a[a.Length - 2]), k = Dim(a[a.Length - 1]), cols = Dim(b[b.Length - 1]);
        if (b.Length == 2 && b[0] != Shapes.Batch)
        {
            w.Line($"{Device}.Gemm({x}.Reshape({Rows(a)}, {k}), {other}, {y}.Reshape({Rows(n.Shape)}, {cols}){Tf32Options(n)});");
            return;
        }

        string batch = Rows(a.Take(a.Length - 1).ToArray());
        w.Line($"{Device}.Gemm({x}.Reshape({batch}, {m}, {k}), {other}.Reshape({batch}, {k}, {cols}), {y}.Reshape({batch}, {m}, {cols}){Tf32Options(n)});");
    }

    private void WriteAttention(CodeWriter w, PlannedNode n, int[] q)
    {
        int heads = n.Ints[0], t = q[q.Length - 2], d = q[q.Length - 1] / heads;
        string outer = Rows(q.Take(q.Length - 1).ToArray()), groups = $"{outer} * {heads}";
        int[] split = [.. q.Take(q.Length - 2), heads, t, d], scores = [.. q.Take(q.Length - 2), heads, t, t];
        string[] names = ["Q", "K", "V"];
        var parts = new string[3];
        for (int i = 0; i < 3; i++)
        {
            parts[i] = Scratch(w, n, names[i], n.Compute, split);
            w.Line($"{Device}.SwapMiddle({T(n.Inputs[i])}, {parts[i]}, {outer}, {t}, {heads}, {d});");
        }

        string s = Scratch(w, n, "Scores", Precision.Fp32, scores), p = Scratch(w, n, "Probs", n.Compute, scores), c = Scratch(w, n, "Context", n.Compute, split);
        w.Line($"{Device}.Gemm({parts[0]}.Reshape({groups}, {t}, {d}), {parts[1]}.Reshape({groups}, {t}, {d}), {s}.Reshape({groups}, {t}, {t}),")
         .Line($"    {Options(n, $"TransposeB = true, Alpha = {Fusion.Literal((float)(1 / Math.Sqrt(d)))}")});");
        if (n.Flag)
        {
            w.Line($"{Device}.CausalMask({s}, {s});");
        }

        if (n.Inputs.Count > 3)
        {
            // Padded keys (the mask's nonzero entries) out of every query's softmax; their probabilities are 0, so the
            // softmax's backward gives their scores no gradient.
            w.Line($"{Device}.MaskKeys({s}, {T(n.Inputs[3])});");
        }

        w.Line($"{Device}.Softmax({s}, {p});")
         .Line($"{Device}.Gemm({p}.Reshape({groups}, {t}, {t}), {parts[2]}.Reshape({groups}, {t}, {d}), {c}.Reshape({groups}, {t}, {d}){Tf32Options(n)});");
        w.Line($"{Device}.SwapMiddle({c}, {Buffer(w, n)}, {outer}, {heads}, {t}, {d});");
    }

    /// <summary>Declares the output buffer of <paramref name="n"/> (its planned storage precision and shape); returns its local.</summary>
    private string Buffer(CodeWriter w, PlannedNode n) => Declare(w, $"t{n.Id}", n.Output, n.Shape.ToArray());

    /// <summary>A named scratch buffer of an op (statistics, attention parts), declared as a local; returns the local's name.</summary>
    private string Scratch(CodeWriter w, PlannedNode n, string name, Precision precision, int[] shape) => Declare(w, $"t{n.Id}{name}", precision, shape);
}
