using Amp.Generator.Model;
using Amp.Generator.Passes;

namespace Amp.Generator.Emit;

// RunForward and RunLoss: one commented block per planned op, in graph order.
internal sealed partial class ModelEmitter
{
    private const string Device = "device";

    private void WriteRun(CodeWriter w, bool inLoss)
    {
        string dt = Ns + "DeviceTensor";
        if (inLoss)
        {
            w.Line();
            w.Line($"/// <summary>[Loss] {spec.LossMethod}: the loss of the forward output, one FP32 value.</summary>")
             .Open($"protected override {dt} RunLoss({Ns}Compilation.ForwardRun run, {dt} output)");
        }
        else
        {
            w.Line($"/// <summary>[Forward] {spec.ForwardMethod}.</summary>")
             .Open($"protected override {dt} RunForward({Ns}Compilation.ForwardRun run)");
        }

        w.Line($"{Ns}AmpDevice {Device} = run.Device;")
         .Line("int B = run.BatchSize;");
        if (inLoss)
        {
            w.Line($"{dt} t{plan.ForwardOutput} = output;");
        }

        foreach (PlannedNode node in plan.Nodes.Where(n => n.InLoss == inLoss))
        {
            if (node.Chain >= 0 && plan.Chains[node.Chain].Root != node.Id)
            {
                continue;
            }

            w.Line();
            var block = new CodeWriter();
            WriteNode(block, node);
            Append(w, block);
        }

        w.Line($"return t{(inLoss ? plan.LossOutput : plan.ForwardOutput)};").Close();
    }

    private void WriteNode(CodeWriter w, PlannedNode n)
    {
        string comment = $"// line {n.Line}, {n.Name}: {n.Kind}, compute {n.Compute.Name()}, stored {n.Output.Name()} {Shapes.Format(n.Shape)} ({n.Reason})";
        if (n.Chain >= 0 && n.Kind != OpKind.MseLoss)
        {
            comment = $"// line {n.Line}, chain {n.Chain} = {plan.Chains[n.Chain].Description}: fused, FP32 registers, stored {n.Output.Name()} {Shapes.Format(n.Shape)}";
        }

        w.Line(comment);
        EmitterOf(n.Kind)!.Forward(this, w, Site(n));
    }

    private void WriteMatMul(CodeWriter w, PlannedNode n, int[] a, int[] b)
    {
        string x = $"t{n.Inputs[0]}", y = $"t{n.Inputs[1]}";
        string m = Dim(a[a.Length - 2]), k = Dim(a[a.Length - 1]), cols = Dim(b[b.Length - 1]);
        if (b.Length == 2 && b[0] != Shapes.Batch)
        {
            w.Line($"{Device}.Gemm({x}.Reshape({Rows(a)}, {k}), {y}, t{n.Id}.Reshape({Rows(n.Shape)}, {cols}));");
            return;
        }

        string batch = Rows(a.Take(a.Length - 1).ToArray());
        w.Line($"{Device}.Gemm({x}.Reshape({batch}, {m}, {k}), {y}.Reshape({batch}, {k}, {cols}), t{n.Id}.Reshape({batch}, {m}, {cols}));");
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
            w.Line($"{Device}.SwapMiddle(t{n.Inputs[i]}, {parts[i]}, {outer}, {t}, {heads}, {d});");
        }

        string s = Scratch(w, n, "Scores", Precision.Fp32, scores), p = Scratch(w, n, "Probs", n.Compute, scores), c = Scratch(w, n, "Context", n.Compute, split);
        w.Line($"{Device}.Gemm({parts[0]}.Reshape({groups}, {t}, {d}), {parts[1]}.Reshape({groups}, {t}, {d}), {s}.Reshape({groups}, {t}, {t}),")
         .Line($"    new {Ns}GemmOptions {{ TransposeB = true, Alpha = {Fusion.Literal((float)(1 / Math.Sqrt(d)))} }});");
        if (n.Flag)
        {
            w.Line($"{Device}.CausalMask({s}, {s});");
        }

        w.Line($"{Device}.Softmax({s}, {p});")
         .Line($"{Device}.Gemm({p}.Reshape({groups}, {t}, {t}), {parts[2]}.Reshape({groups}, {t}, {d}), {c}.Reshape({groups}, {t}, {d}));");
        Buffer(w, n);
        w.Line($"{Device}.SwapMiddle({c}, t{n.Id}, {outer}, {heads}, {t}, {d});");
    }

    private void Buffer(CodeWriter w, PlannedNode n) =>
        Declare(w, $"t{n.Id}", Allocate(n.Output, n.Shape.ToArray()));

    /// <summary>Declares a forward tensor and remembers how, so the backward pass can fetch the saved activation again.</summary>
    private void Declare(CodeWriter w, string local, string initializer)
    {
        w.Line($"var {local} = {initializer};");
        declarations.Add((local, initializer));
        planner.Declare(local, initializer);
    }

    /// <summary>Appends one block of the step (an op's forward or backward code) and tells the memory planner what it touched.</summary>
    private void Append(CodeWriter w, CodeWriter block)
    {
        string text = block.ToString();
        planner.Block(text);
        foreach (string line in text.Split('\n').Take(text.Split('\n').Length - 1))
        {
            w.Line(line.Length == 0 ? string.Empty : line);
        }
    }

    /// <summary>A named scratch buffer of an op (statistics, attention parts), declared as a local; returns the local's name.</summary>
    private string Scratch(CodeWriter w, PlannedNode n, string name, Precision precision, int[] shape)
    {
        string local = $"t{n.Id}{name}";
        Declare(w, local, Allocate(precision, shape));
        return local;
    }

    private string Allocate(Precision precision, int[] shape) =>
        $"run.Buffer({planner.Allocate(precision, shape)}, {Ns}Precision.{precision}, {Dims(shape.Length == 0 ? [1] : shape)})";

    private static string Dims(IReadOnlyList<int> shape) => string.Join(", ", shape.Select(Dim));

    /// <summary>
    /// One dimension as an expression of the emitted code. Every dimension the emitter writes goes through here: the
    /// symbolic batch is the run's <c>B</c>, never the sentinel's -1 (a Mean over a dimension that ends in the batch
    /// once divided by -1 and trained the wrong way).
    /// </summary>
    private static string Dim(int d) => d == Shapes.Batch ? "B" : Int(d);

    /// <summary>1 / n for a dimension n: a literal for a constant, <c>1f / B</c> for the batch.</summary>
    private static string Reciprocal(int d) => d == Shapes.Batch ? "1f / B" : Fusion.Literal(1f / d);

    /// <summary>The product of all dimensions but the last, as an expression in B.</summary>
    private static string Rows(IReadOnlyList<int> shape) => Count(shape.Take(shape.Count - 1).ToArray());

    private static string Count(IReadOnlyList<int> dims)
    {
        long constant = dims.Where(d => d != Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        return dims.Contains(Shapes.Batch) ? (constant == 1 ? "B" : $"B * {Int(constant)}") : Int(constant);
    }

    private static string Storage(Precision p) => p switch
    {
        Precision.Bf16 => "ushort",
        Precision.Fp16 => "global::ILGPU.Half",
        _ => "float",
    };
}
