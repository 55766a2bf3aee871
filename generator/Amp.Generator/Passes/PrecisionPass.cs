using Amp.Generator.Model;

namespace Amp.Generator.Passes;

/// <summary>
/// The precision pass: the policy table of DESIGN.md, the class and method [Autocast], [KeepFp32] on fields and
/// methods, and explicit per-call overrides, in that order of strength (override > KeepFp32 > autocast). Casts are
/// inserted where an op must read another precision; each tensor is cast at most once per target precision.
/// </summary>
internal static class PrecisionPass
{
    public static StepResult<PlanSpec> Run(StepResult<ShapedModel> shaped, CancellationToken cancellationToken)
    {
        if (shaped.Value is not { } model)
        {
            return new StepResult<PlanSpec>(null, shaped.Diagnostics);
        }

        ModelSpec spec = model.Spec;
        var planned = new List<PlannedNode>();
        var newId = new int[spec.Nodes.Count];
        var casts = new Dictionary<(int, Precision), int>();
        var expansions = new Dictionary<(int, string), int>();
        foreach (NodeSpec node in spec.Nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] inputs = node.Inputs.Select(i => newId[i]).ToArray();
            if (OpTable.Row(node.Kind).IsElementwise && inputs.Length > 1)
            {
                for (int k = 0; k < inputs.Length; k++)
                {
                    inputs[k] = Expanded(inputs[k], [.. model.Shapes[node.Id]], node, planned, expansions);
                }
            }

            (Precision compute, Precision output, string reason, Precision? castTo) = Decide(node, inputs.Select(i => planned[i].Output).ToArray());
            if (castTo is { } target)
            {
                for (int k = 0; k < inputs.Length; k++)
                {
                    PlannedNode source = planned[inputs[k]];
                    if (source.Output == target || IsLabels(node, k))
                    {
                        continue;
                    }

                    if (!casts.TryGetValue((source.Id, target), out int cast))
                    {
                        cast = planned.Count;
                        planned.Add(new PlannedNode(cast, OpKind.Cast, new EquatableArray<int>([source.Id]), $"{source.Name}->{target.Name().ToLowerInvariant()}",
                            null, EquatableArray<int>.Empty, 0f, false, source.Shape, target, target,
                            $"cast once for the {target.Name()} ops that read {source.Name}", node.Id, node.InLoss, -1));
                        casts.Add((source.Id, target), cast);
                    }

                    inputs[k] = cast;
                }
            }

            newId[node.Id] = planned.Count;
            planned.Add(new PlannedNode(planned.Count, node.Kind, new EquatableArray<int>(inputs), node.Name, node.Layer, node.Ints, node.Float, node.Flag,
                model.Shapes[node.Id], compute, output, reason, node.Id, node.InLoss, -1) { Float2 = node.Float2 });
        }

        return new StepResult<PlanSpec>(
            new PlanSpec(spec, planned.ToEquatableArray(), EquatableArray<ChainSpec>.Empty, newId[spec.ForwardOutput], spec.LossOutput < 0 ? -1 : newId[spec.LossOutput])
            {
                SpecShapes = model.Shapes,
                ExtraOutputs = spec.ExtraOutputs.Select(o => newId[o]).ToEquatableArray(),
            },
            shaped.Diagnostics);
    }

    /// <summary>
    /// An elementwise op's input with size-1 dimensions broadcast (NumPy's rules) as an Expand to the suffix of the op's
    /// shape it covers, made once per input and shape; an input that already is such a suffix is read as it is.
    /// </summary>
    private static int Expanded(int input, int[] output, NodeSpec reader, List<PlannedNode> planned, Dictionary<(int, string), int> expansions)
    {
        PlannedNode source = planned[input];
        if (Shapes.ExpandTarget([.. source.Shape], output) is not { } target)
        {
            return input;
        }

        string key = Shapes.Format(target);
        if (!expansions.TryGetValue((input, key), out int expand))
        {
            expand = planned.Count;
            planned.Add(new PlannedNode(expand, OpKind.Expand, new EquatableArray<int>([input]), $"{source.Name}->expand", null, EquatableArray<int>.Empty,
                0f, false, new EquatableArray<int>(target), source.Output, source.Output,
                $"Expand: broadcast {Shapes.Format([.. source.Shape])} to {key} (NumPy rules), keeps {source.Output.Name()}", reader.Id, reader.InLoss, -1));
            expansions.Add((input, key), expand);
        }

        return expand;
    }

    /// <summary>An input read as stored, never cast: CrossEntropy's labels, Attention's key-padding mask.</summary>
    private static bool IsLabels(NodeSpec node, int input) => (node.Kind == OpKind.CrossEntropy && input == 1) || (node.Kind == OpKind.Attention && input == 3);

    /// <summary>compute, output, reason, and the precision every input must be cast to (null: read as stored), from the op's row.</summary>
    private static (Precision, Precision, string, Precision?) Decide(NodeSpec node, Precision[] inputs)
    {
        RegionSpec region = node.Region;
        OpRow row = OpTable.Row(node.Kind);
        string kind = node.Kind.ToString();
        Precision? forced = node.Override ?? (region.KeepFp32Reason is null ? null : Precision.Fp32);
        string forcedReason = node.Override is { } o ? $"explicit precision: {o.Name()}" : region.KeepFp32Reason ?? string.Empty;
        switch (row.Policy)
        {
            case OpPolicy.Input:
                return (Precision.Fp32, Precision.Fp32, node.Kind == OpKind.Arange ? "Arange: positions as FP32 ids, made on the device" : "input: FP32 from the host", null);
            case OpPolicy.LowPrecision:
                Precision p = forced ?? region.Autocast;
                string why = forced is not null ? forcedReason : $"{kind}: low-precision list, {region.AutocastSource}";
                return (p, p, why + row.ReasonNote, p);
            case OpPolicy.Fp32Weights:
                return (Precision.Fp32, Precision.Fp32, $"{kind}: on no autocast list, reads the FP32 weight", null);
            case OpPolicy.Loss:
                return (Precision.Fp32, Precision.Fp32, $"{kind}: FP32 list, the loss is FP32", null);
            case OpPolicy.Fp32:
                return node.Override is { } over
                    ? (Precision.Fp32, over, $"explicit precision: {over.Name()} overrides the FP32 list", over)
                    : (Precision.Fp32, Precision.Fp32, region.KeepFp32Reason ?? $"{kind}: FP32 list (inputs upcast)", null);
            case OpPolicy.Promote:
                if (forced is { } promoted)
                {
                    return (Precision.Fp32, promoted, forcedReason, promoted);
                }

                // A fused chain reads each input as stored (FP32 registers); Cat copies, so its inputs are cast to the widest first.
                // A condition (Where's first input) is read as stored and takes no part in the promotion.
                Precision[] values = row.Condition ? inputs.Skip(1).ToArray() : inputs;
                Precision widest = values.Distinct().Count() == 1 ? values[0] : Precision.Fp32;
                return row.IsElementwise
                    ? (Precision.Fp32, widest, $"{kind}: promote, widest input {widest.Name()}", null)
                    : (widest, widest, $"{kind}: promote, inputs cast to the widest {widest.Name()}", widest);
            case OpPolicy.Layout or OpPolicy.Cast:
                return (inputs[0], inputs[0], $"{kind}: layout, keeps {inputs[0].Name()}", null);
            case OpPolicy.Normalization:
                return forced is { } kept
                    ? (Precision.Fp32, kept, forcedReason, kept)
                    : (Precision.Fp32, inputs[0], $"{kind}: FP32 statistics and normalisation, stored as its input's {inputs[0].Name()}", null);
            case OpPolicy.Elementwise:
                return forced is { } e
                    ? (Precision.Fp32, e, forcedReason, e)
                    : (Precision.Fp32, inputs[0], $"{kind}: elementwise in FP32 registers, keeps its input's {inputs[0].Name()}", null);
        }

        // Every OpPolicy is a case above; reaching here means a new category without a rule (AMP1999, located at the model).
        throw new InvalidOperationException($"The precision pass has no rule for the policy {row.Policy} of {kind}.");
    }
}
