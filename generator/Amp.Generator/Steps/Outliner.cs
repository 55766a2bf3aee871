using System.Globalization;
using System.Text.RegularExpressions;
using Amp.Generator.Model;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Steps;

/// <summary>
/// The step program as printed text, with one body per module: the instances of a module (one key: its class and
/// arguments) whose steps spell the same code once named relative to the instance share a forward and a backward
/// method, called once per instance with its parameters and the slots the memory plan gave its buffers. The plan
/// itself (liveness, slots, recompute) is the unrolled program's: a body only changes where statements are printed,
/// never what runs or in what order, so outlining cannot change a number.
/// </summary>
internal static class Outliner
{
    public static ProgramText Outline(PlanSpec plan, StepProgram program)
    {
        var index = new ProgramIndex(plan, program);
        var outlined = Bodies(index);
        var chains = new SortedSet<int>();
        var grads = new SortedSet<(int, int)>();
        var spelling = new UnrolledSpelling(chains, grads, Aliases(plan, outlined));
        var starts = new Dictionary<int, (BodySpec Body, int Index, Instance Instance, bool Forward)>();
        var skipped = new HashSet<int>();
        foreach ((BodySpec body, List<Instance> instances) in outlined)
        {
            for (int i = 0; i < instances.Count; i++)
            {
                Instance instance = instances[i];
                starts[instance.ForwardSteps[0]] = (body, i, instance, true);
                if (instance.BackwardSteps.Count > 0)
                {
                    starts[instance.BackwardSteps[0]] = (body, i, instance, false);
                }
                skipped.UnionWith(instance.ForwardSteps.Concat(instance.BackwardSteps));
            }
        }

        var outer = new Dictionary<StepPhase, List<StepText>> { [StepPhase.Forward] = [], [StepPhase.Loss] = [], [StepPhase.Backward] = [] };
        var backwardReads = new List<string>();
        for (int s = 0; s < program.Steps.Count; s++)
        {
            StepSpec step = program.Steps[s];
            if (starts.TryGetValue(s, out var call))
            {
                outer[step.Phase].Add(Call(call.Body, call.Index, call.Instance, call.Forward));
                if (!call.Forward)
                {
                    backwardReads.AddRange(call.Instance.BackwardArguments);
                }
            }

            if (skipped.Contains(s))
            {
                continue;
            }

            if (step.Phase == StepPhase.Backward)
            {
                backwardReads.AddRange(index.Tokens[s]);
            }

            outer[step.Phase].Add(new StepText(step.Lines.Select(l => spelling.Spell(l, program.SlotOf)).ToEquatableArray()));
        }

        List<string> saved = SavedClosure(program.ForwardDeclarations, backwardReads)
            .Select(local => spelling.Spell(index.Declarations[local].Line, program.SlotOf)).ToList();

        // The bodies' statements are spelled already; the chains they run are their first instance's.
        foreach ((_, List<Instance> instances) in outlined)
        {
            chains.UnionWith(instances[0].Chains);
            grads.UnionWith(instances[0].GradChains);
        }

        return new ProgramText(
            outer[StepPhase.Forward].ToEquatableArray(),
            outer[StepPhase.Loss].ToEquatableArray(),
            saved.ToEquatableArray(),
            outer[StepPhase.Backward].ToEquatableArray(),
            outlined.Select(o => o.Body).ToEquatableArray(),
            chains.ToEquatableArray(),
            plan.GradChains.Select((g, i) => (g, i)).Where(x => grads.Contains((x.g.Chain, x.g.Leaf))).Select(x => x.i).ToEquatableArray());
    }

    /// <summary>
    /// The chains of the later instances of a body that the body's first instance has too (same formula, same storage of
    /// leaves and output): a step outside the body that runs one (a recompute) runs the first instance's struct instead,
    /// so no chain struct is printed per instance.
    /// </summary>
    private static Dictionary<int, int> Aliases(PlanSpec plan, List<(BodySpec Body, List<Instance> Instances)> outlined)
    {
        bool Same(ChainSpec a, ChainSpec b) => a.Expression == b.Expression && a.Leaves.Count == b.Leaves.Count
            && plan.Nodes[a.Root].Output == plan.Nodes[b.Root].Output && plan.Nodes[a.Root].Kind == plan.Nodes[b.Root].Kind
            && a.Leaves.Select(l => plan.Nodes[l].Output).SequenceEqual(b.Leaves.Select(l => plan.Nodes[l].Output))
            && plan.GradChains.Where(g => g.Chain == a.Index).Select(g => (g.Leaf, g.Scalar)).SequenceEqual(plan.GradChains.Where(g => g.Chain == b.Index).Select(g => (g.Leaf, g.Scalar)));
        var aliases = new Dictionary<int, int>();
        foreach ((_, List<Instance> instances) in outlined)
        {
            Instance head = instances[0];
            foreach (Instance member in instances.Skip(1))
            {
                foreach (ChainSpec chain in plan.Chains.Where(c => c.Root >= member.Span.Start && c.Root < member.Span.End))
                {
                    int mapped = plan.Nodes[chain.Root - member.Span.Start + head.Span.Start].Chain;
                    if (mapped >= 0 && Same(chain, plan.Chains[mapped]))
                    {
                        aliases[chain.Index] = mapped;
                    }
                }
            }
        }

        return aliases;
    }

    /// <summary>The call of one instance's forward or backward: its inputs by their locals here, its outputs declared.</summary>
    private static StepText Call(BodySpec body, int index, Instance instance, bool forward)
    {
        IEnumerable<string> inputs = forward ? instance.ForwardArguments : instance.BackwardArguments;
        IEnumerable<string> outputs = (forward ? instance.ForwardResults : instance.BackwardResults).Select(o => "out var " + o);
        string arguments = string.Join(", ", new[] { "run", $"{InstancesField(body)}[{Int(index)}]" }.Concat(inputs).Concat(outputs));
        string comment = $"// {SourceMap.FileLineOf(instance.Source)}, {instance.Call.Path}: {(forward ? "forward" : "backward")} of {body.Module}, the body {body.Name}{(forward ? "Forward" : "Backward")} " +
                         $"shared by {Int(body.Instances.Count)} instances";
        return new StepText(new[] { comment, $"{body.Name}{(forward ? "Forward" : "Backward")}({arguments});" }.ToEquatableArray());
    }

    /// <summary>The compiled class's field that holds a body's instances.</summary>
    public static string InstancesField(BodySpec body) => char.ToLowerInvariant(body.Name[0]) + body.Name.Substring(1) + "Instances";

    /// <summary>
    /// The bodies: per module key, the instances written as body text, grouped by equal text; a group of two or more
    /// shares a body (the first instance names it). An instance inside another outlined one stays inside it.
    /// </summary>
    private static List<(BodySpec Body, List<Instance> Instances)> Bodies(ProgramIndex index)
    {
        PlanSpec plan = index.Plan;
        var calls = plan.Spec.Calls;
        var repeated = calls.GroupBy(c => c.Module).Where(g => g.Count() > 1).SelectMany(g => g).ToList();

        // Outermost first: a block's body already holds the modules inside it.
        var groups = new List<List<Instance>>();
        var taken = new List<ModuleCallSpec>();
        foreach (IGrouping<string, ModuleCallSpec> key in repeated.GroupBy(c => c.Module).OrderByDescending(g => g.Max(c => c.End - c.First)).ThenBy(g => g.Min(c => c.First)))
        {
            var candidates = key.Where(c => !taken.Any(t => t.First <= c.First && c.End <= t.End)).ToList();

            // Compared in a canonical spelling (names relative to each instance's own first node), then written
            // relative to the group's first instance, which names the body.
            List<Instance> written = candidates
                .Select(c => Span(plan, c) is { } span ? Instance.Write(index, c, span, reference: null) : null)
                .Where(i => i is { Failed: false }).Select(i => i!).ToList();
            foreach (IGrouping<string, Instance> same in written.GroupBy(i => i.Text).Where(g => g.Count() > 1))
            {
                // Equal canonical texts put the same statements in the same order: every member's slots, weights and
                // call arguments are where the first's are, so only the first is written again, under its own names.
                List<Instance> members = same.ToList();
                if (Instance.Write(index, members[0].Call, members[0].Span, members[0]) is not { Failed: false } first)
                {
                    continue;
                }

                members[0] = first;
                groups.Add(members);
                taken.AddRange(members.Select(m => m.Call));
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        return groups.OrderBy(g => g[0].Span.Start).Select(g =>
        {
            string name = ShortName(g[0].Call.Module);
            string unique = name;
            for (int n = 2; !names.Add(unique); n++)
            {
                unique = name + Int(n);
            }

            return (Body(unique, g), g);
        }).ToList();
    }

    private static BodySpec Body(string name, List<Instance> instances)
    {
        Instance head = instances[0];
        return new BodySpec(
            name,
            head.Call.Module,
            head.Source,
            instances.Select(i => new InstanceSpec(i.Call.Path, i.Span.Start, i.Span.End, i.Slots.ToEquatableArray(), i.WeightFields.ToEquatableArray(), i.Call.First)).ToEquatableArray(),
            head.Weights.ToEquatableArray(),
            head.ForwardInputs.ToEquatableArray(),
            head.ForwardOutputs.ToEquatableArray(),
            head.ForwardText.ToEquatableArray(),
            head.BackwardInputs.ToEquatableArray(),
            head.BackwardOutputs.ToEquatableArray(),
            head.SavedText.ToEquatableArray(),
            head.BackwardText.ToEquatableArray())
        {
            UsesSalt = head.UsesSalt,
        };
    }

    /// <summary>A module's class name without namespace or type arguments (Demo.Block -> Block).</summary>
    private static string ShortName(string module)
    {
        string name = module.Split('<', '(')[0];
        name = name.Substring(name.LastIndexOf('.') + 1).TrimStart('@');
        return name.Length == 0 ? "Module" : name;
    }

    /// <summary>The planned nodes of a call, [Start, End), when they are contiguous and outside the loss; else null.</summary>
    private static (int Start, int End)? Span(PlanSpec plan, ModuleCallSpec call)
    {
        bool Inside(PlannedNode n) => n.Source >= call.First && n.Source < call.End;
        int start = -1, end = -1;
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            if (Inside(plan.Nodes[i]))
            {
                if (start < 0)
                {
                    start = i;
                }
                else if (end != i)
                {
                    return null;
                }

                end = i + 1;
            }
        }

        return start < 0 || plan.Nodes.Skip(start).Take(end - start).Any(n => n.InLoss) ? null : (start, end);
    }

    /// <summary>The forward locals among <paramref name="reads"/> and the locals they view, in forward order (each once).</summary>
    private static IEnumerable<string> SavedClosure(IReadOnlyList<ForwardDeclaration> declarations, IEnumerable<string> reads)
    {
        var used = new HashSet<string>(reads, StringComparer.Ordinal);
        for (int i = declarations.Count - 1; i >= 0; i--)
        {
            if (used.Contains(declarations[i].Local) && declarations[i].ViewOf is { } viewed)
            {
                used.Add(viewed);
            }
        }

        return declarations.Where(d => used.Contains(d.Local)).Select(d => d.Local).Distinct();
    }

    /// <summary>What every instance asks of the whole program, computed once: each step's locals, where each local is last used, each forward declaration.</summary>
    private sealed class ProgramIndex
    {
        public ProgramIndex(PlanSpec plan, StepProgram program)
        {
            Plan = plan;
            Program = program;
            Declarations = program.ForwardDeclarations.GroupBy(d => d.Local).ToDictionary(g => g.Key, g => g.First());
            Tokens = program.Steps.Select(s => s.Lines.SelectMany(StepTokens.Locals).ToList()).ToArray();
            for (int s = 0; s < Tokens.Length; s++)
            {
                foreach (string local in Tokens[s])
                {
                    LastUse[local] = s;
                    if (program.Steps[s].Phase != StepPhase.Backward)
                    {
                        LastForwardUse[local] = s;
                    }
                }
            }

            // The run's results are read after every step.
            foreach (int output in plan.Outputs)
            {
                LastForwardUse[$"t{output}"] = int.MaxValue;
            }
        }

        public PlanSpec Plan { get; }

        public StepProgram Program { get; }

        public Dictionary<string, ForwardDeclaration> Declarations { get; }

        public List<string>[] Tokens { get; }

        public Dictionary<string, int> LastUse { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> LastForwardUse { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The tokens of a statement spelled in the model's own run methods: the names the unrolled program has.</summary>
    private sealed class UnrolledSpelling(SortedSet<int> chains, SortedSet<(int, int)> grads, Dictionary<int, int> aliases) : ITokenSpelling
    {
        public string Spell(string line, IReadOnlyList<int> slotOf) => StepWriter.WithSlots(StepTokens.Resolve(line, this), slotOf);

        public string Local(string name) => name;

        public string Salt(int source) => Int(source);

        public string Parameter(string path) => Field(path);

        public string Chain(int index)
        {
            index = aliases.TryGetValue(index, out int alias) ? alias : index;
            chains.Add(index);
            return Emit.ChainText.ChainName(index);
        }

        public string GradChain(int chain, int leaf)
        {
            chain = aliases.TryGetValue(chain, out int alias) ? alias : chain;
            grads.Add((chain, leaf));
            chains.Add(chain);
            return Emit.ChainText.GradChainName(chain, leaf);
        }
    }

    /// <summary>
    /// One module instance written as body text, named relative to a reference instance (the body's first): its own
    /// nodes' locals as the reference's (<c>t{id - start + reference}</c>), the tensors it reads from outside as
    /// <c>x0, x1</c> (their gradients <c>dx0</c>), its parameters as <c>p.ln1_weight</c>, its slots as <c>p.Slots[k]</c>,
    /// comments with its path and the outside names left out. Two instances share a body when their texts are equal.
    /// </summary>
    private sealed class Instance : ITokenSpelling
    {
        private static readonly Regex LocalName = new("^([tg])(\\d+)(.*)$", RegexOptions.CultureInvariant);
        private static readonly Regex To = new("To(\\d+)", RegexOptions.CultureInvariant);
        private static readonly Regex Slot = new("§(\\d+)§", RegexOptions.CultureInvariant);
        private static readonly Regex NodeToken = new("§(L|F)(\\d+)§", RegexOptions.CultureInvariant);

        private readonly PlanSpec plan;
        private readonly StepProgram program;
        private readonly ProgramIndex index;
        private readonly int shift;
        private readonly int sourceShift;
        private readonly bool canonical;
        private readonly Dictionary<string, string> names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> spelled = new(StringComparer.Ordinal);
        private readonly Dictionary<int, int> outside = [];
        private readonly Dictionary<int, int> slotIndex = [];

        private Instance(ProgramIndex index, ModuleCallSpec call, (int Start, int End) span, Instance? reference)
        {
            this.index = index;
            plan = index.Plan;
            program = index.Program;
            Call = call;
            Span = span;
            canonical = reference is null;
            shift = (reference?.Span.Start ?? 0) - span.Start;
            sourceShift = call.First - (reference?.Call.First ?? 0);
        }

        public ModuleCallSpec Call { get; }

        public (int Start, int End) Span { get; }

        public int Source => plan.Nodes[Span.Start].Source;

        public List<int> ForwardSteps { get; } = [];

        public List<int> BackwardSteps { get; } = [];

        public List<string> ForwardArguments { get; } = [];

        public List<string> ForwardResults { get; } = [];

        public List<string> BackwardArguments { get; } = [];

        public List<string> BackwardResults { get; } = [];

        public List<string> ForwardInputs { get; } = [];

        public List<string> ForwardOutputs { get; } = [];

        public List<string> BackwardInputs { get; } = [];

        public List<string> BackwardOutputs { get; } = [];

        public List<StepText> ForwardText { get; } = [];

        public List<string> SavedText { get; } = [];

        public List<StepText> BackwardText { get; } = [];

        public List<string> Weights { get; } = [];

        public List<string> WeightFields { get; } = [];

        public List<int> Slots { get; } = [];

        public SortedSet<int> Chains { get; } = [];

        public SortedSet<(int, int)> GradChains { get; } = [];

        /// <summary>Everything that must be equal for two instances to share a body.</summary>
        public string Text { get; private set; } = string.Empty;

        /// <summary>Set when the instance cannot be a body (a chain or a name that does not map onto the reference).</summary>
        public bool Failed { get; private set; }

        /// <summary>The instance written relative to <paramref name="reference"/>, or canonically (relative to itself) when null; null when its steps are not one run each.</summary>
        public static Instance? Write(ProgramIndex index, ModuleCallSpec call, (int Start, int End) span, Instance? reference)
        {
            var instance = new Instance(index, call, span, reference);
            return instance.Write() ? instance : null;
        }

        private bool Inside(int node) => node >= Span.Start && node < Span.End;

        private bool Write()
        {
            // The instance's steps: its forward steps and its backward steps must each be one run of the program.
            IReadOnlyList<StepSpec> steps = program.Steps;
            ForwardSteps.AddRange(Enumerable.Range(0, steps.Count).Where(s => steps[s].Phase != StepPhase.Backward && Inside(steps[s].Node)));
            int[] backward = Enumerable.Range(0, steps.Count).Where(s => steps[s].Phase == StepPhase.Backward && !steps[s].Recompute && Inside(steps[s].Node)).ToArray();
            // A model without a loss has no backward; with one, an instance whose ops need no gradient is left written out.
            if (ForwardSteps.Count == 0 || (backward.Length == 0) != (plan.LossOutput < 0) || ForwardSteps.Any(s => steps[s].Phase != StepPhase.Forward)
                || ForwardSteps[ForwardSteps.Count - 1] - ForwardSteps[0] != ForwardSteps.Count - 1)
            {
                return false;
            }

            // A recompute placed among the instance's backward steps runs inside its body; one placed elsewhere (before a reader
            // outside the instance) stays where it is, and the body reads its output.
            BackwardSteps.AddRange(backward.Length == 0 ? [] : Enumerable.Range(backward[0], backward[backward.Length - 1] - backward[0] + 1));
            if (BackwardSteps.Any(s => steps[s].Phase != StepPhase.Backward || steps[s].Node < 0))
            {
                return false;
            }

            var forwardDeclared = new HashSet<string>(ForwardSteps.SelectMany(s => steps[s].Declares), StringComparer.Ordinal);
            var declarations = index.Declarations;
            List<string> forwardLines = ForwardSteps.SelectMany(s => steps[s].Lines).ToList();
            List<string> backwardLines = BackwardSteps.SelectMany(s => steps[s].Lines).ToList();
            List<string> saved = SavedClosure(program.ForwardDeclarations, BackwardSteps.SelectMany(s => index.Tokens[s]))
                .Where(forwardDeclared.Contains).ToList();
            var backwardDeclared = new HashSet<string>(saved.Concat(BackwardSteps.SelectMany(s => steps[s].Declares)), StringComparer.Ordinal);

            // Names by first use: the forward, the saved declarations, the backward.
            List<string> savedLines = saved.Select(l => declarations[l].Line).ToList();
            foreach (string local in ForwardSteps.SelectMany(s => index.Tokens[s]).Concat(savedLines.SelectMany(StepTokens.Locals)).Concat(BackwardSteps.SelectMany(s => index.Tokens[s])))
            {
                Name(local);
            }

            if (Failed)
            {
                return false;
            }

            // The forward's inputs: what it reads and does not declare; its outputs: what it declares and a later forward or loss step (or the run's result) reads.
            int lastForward = ForwardSteps[ForwardSteps.Count - 1], lastBackward = BackwardSteps.Count == 0 ? int.MaxValue : BackwardSteps[BackwardSteps.Count - 1];
            Bind(forwardLines, forwardDeclared, l => index.LastForwardUse.TryGetValue(l, out int use) && use > lastForward,
                ForwardArguments, ForwardInputs, ForwardResults, ForwardOutputs);
            Bind(savedLines.Concat(backwardLines), backwardDeclared, l => index.LastUse.TryGetValue(l, out int use) && use > lastBackward,
                BackwardArguments, BackwardInputs, BackwardResults, BackwardOutputs);

            var forwardResults = new HashSet<string>(ForwardResults, StringComparer.Ordinal);
            var backwardResults = new HashSet<string>(BackwardResults, StringComparer.Ordinal);
            ForwardText.AddRange(ForwardSteps.Select(s => Spelled(steps[s].Lines, forwardResults)));
            SavedText.AddRange(savedLines.Select(l => SpellLine(l, forwardResults: null)));
            BackwardText.AddRange(BackwardSteps.Select(s => Spelled(steps[s].Lines, backwardResults)));
            Text = string.Join("\n", new[] { string.Join(",", ForwardInputs), string.Join(",", ForwardOutputs), string.Join(",", BackwardInputs), string.Join(",", BackwardOutputs) }
                .Concat(ForwardText.SelectMany(t => t.Lines)).Append("|").Concat(SavedText).Append("|").Concat(BackwardText.SelectMany(t => t.Lines)));
            return true;
        }

        /// <summary>The locals of <paramref name="lines"/> not declared there are the inputs; the declared ones <paramref name="later"/> reads are the outputs.</summary>
        private void Bind(IEnumerable<string> lines, HashSet<string> declared, Func<string, bool> later, List<string> arguments, List<string> inputs, List<string> results, List<string> outputs)
        {
            foreach (string local in lines.SelectMany(StepTokens.Locals).Distinct())
            {
                if (!declared.Contains(local))
                {
                    arguments.Add(local);
                    inputs.Add(names[local]);
                }
                else if (later(local) && !results.Contains(local))
                {
                    results.Add(local);
                    outputs.Add(names[local]);
                }
            }
        }

        private StepText Spelled(IEnumerable<string> lines, HashSet<string> results) => new(lines.Select(l => SpellLine(l, results)).ToEquatableArray());

        /// <summary>One statement in the body: an output's declaration assigns the out parameter; comments lose the instance's path.</summary>
        private string SpellLine(string line, HashSet<string>? forwardResults)
        {
            if (line.TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                line = Comment(line);
            }
            else if (forwardResults is not null && line.StartsWith("var " + StepTokens.Open, StringComparison.Ordinal))
            {
                string local = StepTokens.Plain(line.Substring(4, line.IndexOf(StepTokens.Close) - 3));
                if (forwardResults.Contains(local))
                {
                    line = line.Substring(4);
                }
            }

            line = StepTokens.Resolve(line, this);
            line = Slot.Replace(line, m =>
            {
                int buffer = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                if (!slotIndex.TryGetValue(buffer, out int k))
                {
                    k = slotIndex[buffer] = Slots.Count;
                    Slots.Add(program.SlotOf[buffer]);
                }

                return $"p.Slots[{Int(k)}]";
            });
            return NodeToken.Replace(line, m => $"§{m.Groups[1].Value}{Int(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) - sourceShift)}§");
        }

        /// <summary>A comment of the body: outside tensors by their input names, the instance's own nodes without its path.</summary>
        private string Comment(string line)
        {
            foreach (KeyValuePair<int, int> node in outside.OrderByDescending(o => plan.Nodes[o.Key].Name.Length))
            {
                line = ReplaceName(line, plan.Nodes[node.Key].Name, "x" + Int(node.Value));
            }

            return ReplaceName(line, Call.Path + ".", string.Empty, prefix: true);
        }

        /// <summary>Every occurrence of <paramref name="name"/> not inside a longer name.</summary>
        private static string ReplaceName(string text, string name, string by, bool prefix = false)
        {
            static bool Part(char c) => char.IsLetterOrDigit(c) || c is '_' or '.' or '@' or '#' or '§';
            var result = new System.Text.StringBuilder();
            int at = 0;
            for (int i = text.IndexOf(name, StringComparison.Ordinal); i >= 0; i = text.IndexOf(name, i + name.Length, StringComparison.Ordinal))
            {
                int end = i + name.Length;
                if ((i > 0 && Part(text[i - 1])) || (!prefix && end < text.Length && Part(text[end])))
                {
                    continue;
                }

                result.Append(text, at, i - at).Append(by);
                at = end;
            }

            return result.Append(text, at, text.Length - at).ToString();
        }

        /// <summary>The body's name of a local: relative for the instance's own nodes, x{j}/dx{j} for a node outside.</summary>
        private string Name(string local)
        {
            if (names.TryGetValue(local, out string? known))
            {
                return known;
            }

            Match m = LocalName.Match(local);
            if (!m.Success)
            {
                Failed = true;
                return names[local] = local;
            }

            int node = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            string name;
            if (Inside(node))
            {
                string rest = To.Replace(m.Groups[3].Value, t => "To" + Int(int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) + shift));
                name = m.Groups[1].Value + Int(node + shift) + rest;
            }
            else
            {
                if (!outside.TryGetValue(node, out int j))
                {
                    j = outside[node] = outside.Count;
                }

                // An outside tensor is read under one name (its recomputed copy, where the backward recomputes it).
                name = (m.Groups[1].Value == "g" ? "dx" : "x") + Int(j) + (m.Groups[3].Value is "" or "R" ? string.Empty : m.Groups[3].Value);
            }

            // Two locals, one name: only an outside tensor and its recomputed copy, which are never read in one method (the forward reads the first, the backward the copy).
            if (spelled.TryGetValue(name, out string? other) && other.TrimEnd('R') != local.TrimEnd('R'))
            {
                Failed = true;
            }

            spelled[name] = local;

            return names[local] = name;
        }

        public string Local(string name) => names[name];

        /// <summary>Whether the body's statements read the instance's salt (a Dropout in it).</summary>
        public bool UsesSalt { get; private set; }

        public string Salt(int source)
        {
            if (source < Call.First || source >= Call.End)
            {
                return Int(source);
            }

            UsesSalt = true;
            return canonical ? $"salt[{Int(source - Call.First)}]" : $"p.Salt + {Int(source - Call.First)}";
        }

        public string Parameter(string path)
        {
            if (!path.StartsWith(Call.Path + ".", StringComparison.Ordinal))
            {
                return Field(path);
            }

            string relative = path.Substring(Call.Path.Length + 1);
            if (!Weights.Contains(relative))
            {
                Weights.Add(relative);
                WeightFields.Add(Field(path));
            }

            return "p." + Field(relative);
        }

        public string Chain(int index) => canonical ? Canonical(index) : Emit.ChainText.ChainName(MapChain(index));

        public string GradChain(int chain, int leaf)
        {
            if (canonical)
            {
                return $"{Canonical(chain)}Grad{Int(leaf)}({plan.GradChains.FirstOrDefault(g => g.Chain == chain && g.Leaf == leaf)?.Scalar})";
            }

            int mapped = MapChain(chain);
            if (!plan.GradChains.Any(g => g.Chain == mapped && g.Leaf == leaf))
            {
                Failed = true;
            }

            GradChains.Add((mapped, leaf));
            return Emit.ChainText.GradChainName(mapped, leaf);
        }

        /// <summary>A chain by where its root is, relative to the instance, and by what it computes.</summary>
        private string Canonical(int index) => $"Chain[{Int(plan.Chains[index].Root + shift)}: {plan.Chains[index].Expression}]";

        /// <summary>The reference instance's chain at the same place, which must compute the same formula.</summary>
        private int MapChain(int index)
        {
            ChainSpec chain = plan.Chains[index];
            int root = chain.Root + shift;
            int mapped = root >= 0 && root < plan.Nodes.Count ? plan.Nodes[root].Chain : -1;
            if (mapped < 0 || plan.Chains[mapped].Expression != chain.Expression || plan.Chains[mapped].Leaves.Count != chain.Leaves.Count)
            {
                Failed = true;
                return index;
            }

            Chains.Add(mapped);
            return mapped;
        }
    }
}
