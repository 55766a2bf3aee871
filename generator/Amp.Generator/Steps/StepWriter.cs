using Amp.Generator.Emit;
using Amp.Generator.Model;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

/// <summary>
/// Writes a planned model as a <see cref="StepProgram"/>: one step per op's forward, loss and backward block, each with
/// the statements that run it and the buffers it reads and writes. Every local an op emitter names goes through this
/// class (<c>T</c>, <c>G</c>, <c>Declare</c>), so the reads and writes are recorded as the
/// statements are written: nothing is ever recovered from the text (a field named <c>t2</c> once changed the plan).
/// </summary>
internal sealed partial class StepWriter
{
    private readonly PlanSpec plan;
    private readonly ModelSpec spec;

    /// <summary>Chain roots the backward recomputes from their leaves, in the order they were chosen (see <see cref="RecomputeOrder"/>).</summary>
    private readonly IReadOnlyList<int> recomputed;

    private readonly List<BufferSpec> buffers = [];

    /// <summary>Each declared local's buffer; null for a model input (the run's own memory, outside the plan).</summary>
    private readonly Dictionary<string, int?> bufferOf = new(StringComparer.Ordinal);

    /// <summary>The forward and loss declarations, in order: the backward fetches the saved ones again by the same initializer.</summary>
    private readonly List<ForwardDeclaration> forwardDeclarations = [];

    private readonly Dictionary<string, (string? Viewed, string? Initializer, int[] Shape, Precision Precision)> gradients = new(StringComparer.Ordinal);
    private readonly HashSet<string> declaredGradients = new(StringComparer.Ordinal);

    private StepPhase phase;
    private CodeWriter prelude = new(wrap: false);
    private List<int> reads = [];
    private List<int> writes = [];
    private List<string> declares = [];
    private HashSet<string> localsRead = new(StringComparer.Ordinal);

    private StepWriter(PlanSpec plan, IReadOnlyList<int> recomputed, bool checkpoints)
    {
        this.plan = plan;
        spec = plan.Spec;
        this.recomputed = recomputed;
        regionOf = checkpoints ? Checkpoints.RegionOf(plan) : Enumerable.Repeat(-1, plan.Nodes.Count).ToArray();
    }

    /// <summary>
    /// The step program of <paramref name="plan"/>: written once to learn what the backward reads, then with the chains
    /// worth recomputing. <paramref name="checkpoints"/> false writes it as if no module had [Recompute] (to measure what it saves).
    /// </summary>
    public static StepProgram Write(PlanSpec plan, bool checkpoints = true)
    {
        var draft = new StepWriter(plan, [], checkpoints);
        List<HashSet<string>> backwardReads = draft.WriteSteps().Where(s => s.Step.Phase == StepPhase.Backward).Select(s => s.Locals).ToList();
        var writer = new StepWriter(plan, RecomputeOrder(plan, backwardReads, draft.regionOf), checkpoints);
        List<StepSpec> steps = writer.WriteSteps().Select(s => s.Step).ToList();
        var (slotOf, slots, perSample, fixedBytes, saved) = Liveness.Plan(writer.buffers, steps);
        return new StepProgram(writer.buffers.ToEquatableArray(), steps.ToEquatableArray(), writer.forwardDeclarations.ToEquatableArray(),
            slotOf, slots, perSample, fixedBytes, saved);
    }

    private List<(StepSpec Step, HashSet<string> Locals)> WriteSteps()
    {
        var steps = new List<(StepSpec, HashSet<string>)>();
        foreach (bool inLoss in plan.LossOutput >= 0 ? new[] { false, true } : [false])
        {
            phase = inLoss ? StepPhase.Loss : StepPhase.Forward;
            foreach (PlannedNode node in plan.Nodes.Where(n => n.InLoss == inLoss && !IsInsideChain(n)))
            {
                steps.Add(Step(node.Id, w => WriteNode(w, node)));
            }

            if (!inLoss && plan.ExtraOutputs.Count > 0)
            {
                // A tuple [Forward]: every output handed to the run after the last op (which keeps them all alive to here).
                steps.Add(Step(-1, w => w.Line("// The [Forward]'s outputs, in order (a tuple).")
                    .Line($"run.SetOutputs({string.Join(", ", plan.Outputs.Select(T))});")));
            }
        }

        if (plan.LossOutput >= 0)
        {
            phase = StepPhase.Backward;
            steps.AddRange(WriteBackward());
        }

        return steps;
    }

    /// <summary>Writes node <paramref name="node"/>'s step: <paramref name="write"/>'s statements after the declarations it needed (gradients declared on first use).</summary>
    private (StepSpec Step, HashSet<string> Locals) Step(int node, Action<CodeWriter> write)
    {
        var body = new CodeWriter(wrap: false);
        prelude = new CodeWriter(wrap: false);
        reads = [];
        writes = [];
        declares = [];
        localsRead = new HashSet<string>(StringComparer.Ordinal);
        write(body);
        string[] lines = Lines(prelude.ToString()).Concat(Lines(body.ToString())).ToArray();
        return (new StepSpec(phase, node, lines.ToEquatableArray(), reads.Distinct().ToEquatableArray(), writes.Distinct().ToEquatableArray(), declares.ToEquatableArray()), localsRead);
    }

    private static IEnumerable<string> Lines(string text)
    {
        string[] lines = text.Split('\n');
        return lines.Take(lines.Length - 1);
    }

    /// <summary>The forward value of node <paramref name="id"/> as read here: in the backward, a recomputed chain's output is its recomputed local.</summary>
    internal string T(int id) => Use(
        Checkpointed(id) ? $"t{id}C" : phase == StepPhase.Backward && recomputed.Contains(id) ? $"t{id}R" : $"t{id}", write: false);

    /// <summary>A named scratch tensor of node <paramref name="id"/> kept from its forward (statistics, attention parts), read here.</summary>
    internal string T(int id, string part) => Use(Checkpointed(id) ? $"t{id}{part}C" : $"t{id}{part}", write: false);

    /// <summary>The gradient of node <paramref name="id"/>, accumulated into here (declared, zeroed, just before its first step; see <see cref="GInto"/> for a writer).</summary>
    internal string G(int id)
    {
        string local = $"g{id}";
        DeclareGradient(local);
        return Use(local, write: true);
    }

    /// <summary>The gradient of node <paramref name="id"/>, only read here (an op's output gradient).</summary>
    internal string Dy(int id)
    {
        string local = $"g{id}";
        DeclareGradient(local);
        return Use(local, write: false);
    }

    private string Use(string local, bool write)
    {
        if (bufferOf.TryGetValue(local, out int? buffer) && buffer is int id)
        {
            (write ? writes : reads).Add(id);
        }

        localsRead.Add(local);
        return StepTokens.Local(local);
    }

    /// <summary>Declares <paramref name="local"/> as a new buffer of <paramref name="precision"/> and <paramref name="shape"/> (Batch as -1); returns the local.</summary>
    internal string Declare(CodeWriter w, string local, Precision precision, int[] shape)
    {
        local = Renamed(local);
        return DeclareBuffer(w, local, NewBuffer(local, precision, shape), precision, shape);
    }

    /// <summary>Declares <paramref name="local"/> as buffer <paramref name="id"/>, already allocated in the program.</summary>
    private string DeclareBuffer(CodeWriter w, string local, int id, Precision precision, IReadOnlyList<int> shape) =>
        Declare(w, local, $"run.Buffer({Placeholder(id)}, {Ns}Precision.{precision}, {Dims(shape.Count == 0 ? [1] : shape)})", id, viewOf: null);

    /// <summary>Declares <paramref name="local"/> as a view of <paramref name="source"/> (a reshape): the same buffer, read here.</summary>
    internal string DeclareView(CodeWriter w, string local, string source, string initializer)
    {
        local = Renamed(local);
        source = StepTokens.Plain(source);
        Use(source, write: false);
        return Declare(w, local, initializer, bufferOf.TryGetValue(source, out int? b) ? b : null, source);
    }

    /// <summary>Declares a model input: the run's own tensor, no buffer of the plan.</summary>
    internal string DeclareInput(CodeWriter w, string local, string name) => Declare(w, local, $"run.Input(\"{name}\")", null, null);

    private string Declare(CodeWriter w, string local, string initializer, int? buffer, string? viewOf)
    {
        w.Line($"var {StepTokens.Local(local)} = {initializer};");
        bufferOf[local] = buffer;
        declares.Add(local);
        if (buffer is int id)
        {
            writes.Add(id);
        }

        if (phase != StepPhase.Backward)
        {
            forwardDeclarations.Add(new ForwardDeclaration(local, $"var {StepTokens.Local(local)} = {initializer};", viewOf));
        }

        return StepTokens.Local(local);
    }

    private int NewBuffer(string local, Precision precision, IReadOnlyList<int> shape)
    {
        long count = shape.Where(d => d != Passes.Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        bool perSample = shape.Contains(Passes.Shapes.Batch);
        buffers.Add(new BufferSpec(buffers.Count, local, precision, perSample ? count : 0, perSample ? 0 : count));
        return buffers.Count - 1;
    }

    /// <summary>Where a buffer's slot goes in a statement; the printer writes the slot the memory plan gave the buffer.</summary>
    internal static string Placeholder(int buffer) => $"§{Int(buffer)}§";

    private static readonly System.Text.RegularExpressions.Regex Placeholders = new("§(\\d+)§", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>A statement with each buffer's placeholder replaced by its slot in <paramref name="slotOf"/>.</summary>
    internal static string WithSlots(string line, IReadOnlyList<int> slotOf) => line.IndexOf('§') < 0
        ? line
        : Placeholders.Replace(line, m => Int(slotOf[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]));

    private bool Needs(int id) => plan.NeedsGradient.Count > id && plan.NeedsGradient[id];

    /// <summary>
    /// True where <c>[Autocast(.., Tf32 = true)]</c> rounds an op's products to TF32: a product op (Linear, MatMul, Conv2d,
    /// Attention) computing in FP32. Its low-precision twins already read BF16/FP16 operands and are left alone.
    /// </summary>
    internal static bool UsesTf32(ModelSpec spec, PlannedNode n) =>
        spec.Tf32 && n.Compute == Precision.Fp32 && n.Kind is OpKind.Linear or OpKind.MatMul or OpKind.Conv2d or OpKind.Attention;

    /// <summary>GEMM options written out: the given initialisers, plus <c>Tf32 = true</c> for a TF32 op.</summary>
    private string Options(PlannedNode n, string initialisers) =>
        $"new {Ns}GemmOptions {{ {initialisers}{(UsesTf32(spec, n) ? ", Tf32 = true" : string.Empty)} }}";

    /// <summary>The options argument of a product that has no other option: none, or the TF32 one.</summary>
    private string Tf32Options(PlannedNode n) => UsesTf32(spec, n) ? ", Tf32Products" : string.Empty;

    /// <summary>A shared options property of the compiled model (Accumulate, ..), or its TF32 twin.</summary>
    private string Named(PlannedNode n, string name) => UsesTf32(spec, n) ? name + "Tf32" : name;

    /// <summary>An op absorbed into a fused chain: its gradient never exists, the chain's backward skips over it.</summary>
    private bool IsInsideChain(PlannedNode n) => n.Chain >= 0 && plan.Chains[n.Chain].Root != n.Id;
}
