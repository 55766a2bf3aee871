using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Generator.Parsing;

/// <summary>
/// Parse step: an [Autocast] class -> <see cref="ModelSpec"/> (layers, inputs, the inlined graph), or the
/// diagnostics that block generation. Never throws: an unexpected exception becomes AMP1999.
/// </summary>
internal static class ModelParser
{
    /// <summary>Tests set this to prove that an internal error becomes AMP1999 (called with the class name).</summary>
    internal static Action<string>? FaultInjection { get; set; }

    public static StepResult<ParsedModel> Parse(GeneratorAttributeSyntaxContext source, CancellationToken cancellationToken) =>
        source.TargetNode is RecordDeclarationSyntax record
            ? new StepResult<ParsedModel>(null, RecordRefused(record, "[Autocast]"))
            : Parse((INamedTypeSymbol)source.TargetSymbol, (ClassDeclarationSyntax)source.TargetNode, source.Attributes[0], source.SemanticModel.Compilation, cancellationToken);

    /// <summary>
    /// A record gets value equality and a compiler-written constructor, copy and ToString over its fields (the
    /// layers): the wrong semantics for a model that owns weights. It is refused where it is declared rather than
    /// silently left without generated code.
    /// </summary>
    private static EquatableArray<DiagnosticInfo> RecordRefused(RecordDeclarationSyntax record, string attribute) =>
        new([DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedSyntax, LocationInfo.From(record.Identifier),
            $"{attribute} on the record '{record.Identifier.ValueText}'", ": declare it as a partial class")]);

    /// <summary>The same parse for a caller outside the generator pipeline (the analyzers reason about the very model the generator builds).</summary>
    public static StepResult<ParsedModel> Parse(INamedTypeSymbol type, ClassDeclarationSyntax syntax, AttributeData autocast, Compilation compilation, CancellationToken cancellationToken)
    {
        var context = new ParseContext(compilation, cancellationToken);
        try
        {
            FaultInjection?.Invoke(type.Name);
            ParsedModel? parsed = ParseClass(type, syntax, autocast, context);
            return new StepResult<ParsedModel>(context.HasErrors ? null : parsed, context.Diagnostics.ToEquatableArray());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new StepResult<ParsedModel>(null, new EquatableArray<DiagnosticInfo>(
                [DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(syntax.Identifier), type.Name, $"{e.GetType().Name}: {e.Message}")]));
        }
    }

    public static StepResult<ModuleSpec> ParseModule(GeneratorAttributeSyntaxContext source, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)source.TargetSymbol;
        if (source.TargetNode is RecordDeclarationSyntax record)
        {
            return new StepResult<ModuleSpec>(null, type.Has(KnownTypes.Autocast) ? EquatableArray<DiagnosticInfo>.Empty : RecordRefused(record, "[Module]"));
        }

        var context = new ParseContext(source.SemanticModel.Compilation, cancellationToken);
        try
        {
            // [Autocast] beside [Module] is reported by the model's parse; a second [Module] part by the first part.
            AttributeData[] parts = type.GetAttributes().Where(a => a.AttributeClass.Is(KnownTypes.Module)).ToArray();
            bool first = Holds(source.TargetNode, parts[0]);
            if (type.Has(KnownTypes.Autocast) || !first)
            {
                return new StepResult<ModuleSpec>(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            if (parts.Length > 1)
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, parts[1].ApplicationSyntaxReference!.GetSyntax(cancellationToken),
                    $"A second [Module] on '{type.Name}'", ": put one [Module] on one part of the partial class");
                return new StepResult<ModuleSpec>(null, context.Diagnostics.ToEquatableArray());
            }

            if (!CheckClass(type, (ClassDeclarationSyntax)source.TargetNode, context))
            {
                return new StepResult<ModuleSpec>(null, context.Diagnostics.ToEquatableArray());
            }

            var spec = new ModuleSpec(Namespace(type), Identifier(type.Name), FieldWalker.DescribeFields(type, context));
            return new StepResult<ModuleSpec>(context.HasErrors ? null : spec, context.Diagnostics.ToEquatableArray());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new StepResult<ModuleSpec>(null, new EquatableArray<DiagnosticInfo>(
                [DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(source.TargetNode), type.Name, $"{e.GetType().Name}: {e.Message}")]));
        }
    }

    private static ParsedModel? ParseClass(INamedTypeSymbol type, ClassDeclarationSyntax syntax, AttributeData autocast, ParseContext context)
    {
        if (!CheckClass(type, syntax, context))
        {
            return null;
        }

        if (!CheckAttribute(type, syntax, autocast, context))
        {
            return null;
        }

        Precision precision = KnownTypes.ToPrecision(autocast.ConstructorArguments.FirstOrDefault().Value);
        if (!CheckReservedNames(type, context))
        {
            return null;
        }

        var walker = new FieldWalker(context);
        walker.Walk(type, string.Empty, null);
        EquatableArray<FieldSpec> fields = FieldWalker.DescribeFields(type, context);

        IMethodSymbol[] methods = type.GetMembers().OfType<IMethodSymbol>().ToArray();
        IMethodSymbol? forward = methods.FirstOrDefault(m => m.Has(KnownTypes.Forward));
        IMethodSymbol? loss = methods.FirstOrDefault(m => m.Has(KnownTypes.Loss));
        foreach (IMethodSymbol extra in methods.Where(m => m.Has(KnownTypes.Forward)).Skip(1).Concat(methods.Where(m => m.Has(KnownTypes.Loss)).Skip(1)))
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, MethodSyntax(extra, context), $"A second {(extra.Has(KnownTypes.Forward) ? "[Forward]" : "[Loss]")} method ('{extra.Name}')", ": a model has one of each");
        }

        if (forward is not null && SymbolEqualityComparer.Default.Equals(forward, loss))
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, MethodSyntax(forward, context), $"[Forward] and [Loss] on one method ('{forward.Name}')", ": the loss is a method of its own that takes the forward output");
            return null;
        }

        if (loss is not null && forward is not null
            && loss.Parameters.Skip(1).FirstOrDefault(l => forward.Parameters.Any(f => f.Name == l.Name)) is { } clash)
        {
            context.Report(DiagnosticDescriptors.InvalidInput, clash.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) ?? syntax, clash.Name,
                $"the [Forward] method {forward.Name} has an input of the same name; a batch names every input once, so rename one");
            return null;
        }
        if (forward is null)
        {
            context.Report(DiagnosticDescriptors.NoForward, syntax.Identifier, type.Name);
            return null;
        }

        if (context.HasErrors)
        {
            return null;
        }

        var layers = walker.Layers.ToDictionary(l => l.Path);
        var builder = new GraphBuilder(context, layers);
        var region = new RegionSpec(precision, $"[Autocast({precision.Name()})] on class {type.Name}", null) { FromClass = true };
        var inputs = new List<InputSpec>();

        var forwardArgs = new Dictionary<string, GraphValue>();
        if (!BindInputs(forward, forward.Parameters, builder, region, inputs, forwardArgs, lossOnly: false, context))
        {
            return null;
        }

        var root = new Scope(type, string.Empty, region, []);
        // One tensor, or a tuple of them: the [Forward] method's outputs, in order.
        int[]? outputs = builder.Inline(forward, root, forwardArgs, MethodSyntax(forward, context)) switch
        {
            TensorValue single => [single.Node],
            TupleValue { Nodes.Count: >= 2 } tuple => [.. tuple.Nodes],
            _ => null,
        };
        if (outputs is null)
        {
            ReportNonTensor(forward, context);
            return null;
        }

        var output = new TensorValue(outputs[0]);
        int lossOutput = -1;
        if (loss is not null)
        {
            // The first parameters of [Loss] receive the forward's outputs, one each, in order; the rest are loss inputs.
            if (loss.Parameters.Length < outputs.Length || loss.Parameters.Take(outputs.Length).Any(p => !p.Type.Is(KnownTypes.Tensor)))
            {
                string receives = outputs.Length == 1
                    ? "the first parameter of the [Loss] method receives the forward output and must be a Tensor"
                    : $"the first {outputs.Length} parameters of the [Loss] method receive the forward's {outputs.Length} outputs and must be Tensors";
                context.Report(DiagnosticDescriptors.InvalidInput, MethodSyntax(loss, context), loss.Name, receives);
                return null;
            }

            builder.InLoss = true;
            var lossArgs = new Dictionary<string, GraphValue>();
            for (int k = 0; k < outputs.Length; k++)
            {
                lossArgs[loss.Parameters[k].Name] = new TensorValue(outputs[k]);
            }

            if (!BindInputs(loss, loss.Parameters.Skip(outputs.Length), builder, region, inputs, lossArgs, lossOnly: true, context)
                || builder.Inline(loss, root, lossArgs, MethodSyntax(loss, context)) is not TensorValue lossValue)
            {
                return context.HasErrors ? null : ReportNonTensor(loss, context);
            }

            lossOutput = lossValue.Node;
        }

        var spec = new ModelSpec(
            Namespace(type), Identifier(type.Name), Accessibility(type), precision, fields, walker.Layers.ToEquatableArray(),
            LimitTokens(inputs, builder.Nodes, layers).ToEquatableArray(), builder.Nodes.ToEquatableArray(),
            output.Node, lossOutput, forward.Name, loss?.Name)
        {
            Variants = Variants(autocast, precision),
            Calls = builder.Calls.ToEquatableArray(),
            Fp32Gradients = autocast.NamedArguments.Any(a => a.Key == "Fp32Gradients" && a.Value.Value is true),
            Tf32 = autocast.NamedArguments.Any(a => a.Key == "Tf32" && a.Value.Value is true),
            ExtraOutputs = outputs.Skip(1).ToEquatableArray(),
            OutputNames = OutputNames(forward, outputs.Length).ToEquatableArray(),
        };
        return new ParsedModel(spec, new SourceMap(spec.Key, System.IO.Path.GetFileName(syntax.SyntaxTree.FilePath), builder.Locations.ToEquatableArray()));
    }

    /// <summary>The names of a tuple [Forward]'s outputs (its tuple elements' names, Item1.. when unnamed); none for one output.</summary>
    private static IEnumerable<string> OutputNames(IMethodSymbol forward, int count) =>
        count == 1 ? [] : forward.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple
            ? tuple.TupleElements.Select(e => e.Name)
            : Enumerable.Range(1, count).Select(i => "Item" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The distinct precisions of [Autocast(.., Also = ..)] other than the class's own, in order.</summary>
    private static EquatableArray<int> Variants(AttributeData autocast, Precision own)
    {
        TypedConstant also = autocast.NamedArguments.FirstOrDefault(a => a.Key == "Also").Value;
        if (also.Kind != TypedConstantKind.Array || also.Values.IsDefaultOrEmpty)
        {
            return EquatableArray<int>.Empty;
        }

        return also.Values.Select(v => KnownTypes.ToPrecision(v.Value)).Where(p => p != own).Distinct().Select(p => (int)p).ToEquatableArray();
    }

    /// <summary>
    /// One [Autocast] per model, on one partial part (the generator would emit the model twice), not beside [Module],
    /// with precisions that exist ((Precision)7 once became FP32 silently).
    /// </summary>
    private static bool CheckAttribute(INamedTypeSymbol type, ClassDeclarationSyntax syntax, AttributeData autocast, ParseContext context)
    {
        SyntaxNode at = autocast.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) ?? syntax.Identifier.Parent!;
        AttributeData[] all = type.GetAttributes().Where(a => a.AttributeClass.Is(KnownTypes.Autocast)).ToArray();
        if (all.Length > 1)
        {
            // Each part is parsed on its own; the first part's attribute reports for the model, the others stay silent.
            if (Holds(syntax, all[0]))
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, all[1].ApplicationSyntaxReference!.GetSyntax(context.CancellationToken),
                    $"A second [Autocast] on '{type.Name}'", ": put one [Autocast] on one part of the partial class");
            }

            return false;
        }

        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (baseType.Has(KnownTypes.Autocast))
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, syntax.Identifier, $"A model class deriving from the model '{baseType.Name}'",
                    ": both would get a Plan and a Compile; share a [Module] between them instead");
                return false;
            }
        }

        if (type.Has(KnownTypes.Module))
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, at, $"[Autocast] and [Module] on one class ('{type.Name}')",
                ": a model is [Autocast]; a block it reuses is a [Module] class of its own");
            return false;
        }

        IEnumerable<TypedConstant> also = autocast.NamedArguments.FirstOrDefault(a => a.Key == "Also").Value is { Kind: TypedConstantKind.Array } array ? array.Values : Enumerable.Empty<TypedConstant>();
        foreach (TypedConstant value in autocast.ConstructorArguments.Take(1).Concat(also))
        {
            if (value.Value is not int p || p is < 0 or > 2)
            {
                context.Report(DiagnosticDescriptors.ArgumentOutOfRange, at, "precision", "[Autocast]", value.Value?.ToString() ?? "null", "use Precision.Fp32, Precision.Bf16 or Precision.Fp16");
                return false;
            }
        }

        return true;
    }

    /// <summary>The members Amp adds to a model class (and their variant forms, PlanFp16 and CompiledFp16).</summary>
    private static readonly string[] Generated = ["Plan", "PlanFor", "Compile", "Compiled", "CollectAmpParameters"];

    /// <summary>A member of the user's with a name the generated code declares is a located error, not a CS0102 in generated code.</summary>
    private static bool CheckReservedNames(INamedTypeSymbol type, ParseContext context)
    {
        bool ok = true;
        foreach (ISymbol member in type.GetMembers().Where(m => !m.IsImplicitlyDeclared && m.DeclaringSyntaxReferences.Length > 0).Prepend(type))
        {
            string name = member.Name;
            bool reserved = Generated.Contains(name)
                || ((name.StartsWith("Plan", StringComparison.Ordinal) || name.StartsWith("Compiled", StringComparison.Ordinal))
                    && new[] { "Fp32", "Bf16", "Fp16" }.Any(p => name.EndsWith(p, StringComparison.Ordinal) && (name.Length == 4 + p.Length || name.Length == 8 + p.Length)));
            if (reserved && !(member is IMethodSymbol m && m.IsPartialDefinition))
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, member, $"A {(member is INamedTypeSymbol ? "model class" : "member")} named '{name}'",
                    $": Amp generates {string.Join(", ", Generated)} (and PlanFp16, CompiledFp16, ..) on it; rename the member");
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>Whether the declaration <paramref name="part"/> carries <paramref name="attribute"/> (a partial class's parts are parsed one by one).</summary>
    private static bool Holds(SyntaxNode part, AttributeData attribute) =>
        attribute.ApplicationSyntaxReference is { } reference && reference.SyntaxTree == part.SyntaxTree && part.Span.Contains(reference.Span);

    private static bool CheckClass(INamedTypeSymbol type, ClassDeclarationSyntax syntax, ParseContext context)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            context.Report(DiagnosticDescriptors.ModelNotPartial, syntax.Identifier, type.Name);
            return false;
        }

        if (syntax.Modifiers.Any(SyntaxKind.FileKeyword))
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, syntax.Identifier, $"A file-local class ('file partial class {type.Name}')",
                ": the generated part lives in a file of its own; make the class internal or public");
            return false;
        }

        if (type.ContainingType is not null || type.IsGenericType)
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, syntax.Identifier, type.IsGenericType ? "A generic model class" : "A nested model class", ": declare it at namespace level");
            return false;
        }

        return true;
    }

    private static ParsedModel? ReportNonTensor(IMethodSymbol method, ParseContext context)
    {
        if (!context.HasErrors)
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, MethodSyntax(method, context), $"'{method.Name}' returning something other than a tensor", string.Empty);
        }

        return null;
    }

    private static bool BindInputs(IMethodSymbol method, IEnumerable<IParameterSymbol> parameters, GraphBuilder builder, RegionSpec region,
        List<InputSpec> inputs, Dictionary<string, GraphValue> bound, bool lossOnly, ParseContext context)
    {
        foreach (IParameterSymbol parameter in parameters)
        {
            SyntaxNode at = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) ?? MethodSyntax(method, context);
            InputKind? kind = parameter.Type.Is(KnownTypes.Tensor) ? InputKind.Features
                : parameter.Type.Is(KnownTypes.Tokens) ? InputKind.Tokens
                : parameter.Type.Is(KnownTypes.Labels) ? InputKind.Labels : null;
            if (inputs.Any(i => i.Name == parameter.Name))
            {
                context.Report(DiagnosticDescriptors.InvalidInput, at, parameter.Name, "another input has this name; a batch names every input once");
                return false;
            }

            if (kind is null)
            {
                context.Report(DiagnosticDescriptors.InvalidInput, at, parameter.Name, $"a model input must be Tensor, Tokens or Labels, not {parameter.Type.Name}");
                return false;
            }

            int node = builder.AddInput(parameter.Name, at, region);
            if (kind == InputKind.Labels)
            {
                if (parameter.Attribute(KnownTypes.Classes)?.ConstructorArguments.FirstOrDefault().Value is not int classes || classes <= 0)
                {
                    context.Report(DiagnosticDescriptors.InvalidInput, at, parameter.Name, "Labels need [Classes(n)] with a positive constant n");
                    return false;
                }

                inputs.Add(new InputSpec(parameter.Name, InputKind.Labels, EquatableArray<int>.Empty, classes, lossOnly));
                bound[parameter.Name] = new LabelsValue(node);
                continue;
            }

            TypedConstant dims = parameter.Attribute(KnownTypes.Shape)?.ConstructorArguments.FirstOrDefault() ?? default;
            int[] shape = dims.Kind == TypedConstantKind.Array ? dims.Values.Select(v => v.Value is int d ? d : 0).ToArray() : [];
            if (shape.Length == 0 || shape[0] != -1 || shape.Skip(1).Any(d => d <= 0))
            {
                context.Report(DiagnosticDescriptors.InvalidInput, at, parameter.Name,
                    "declare [Shape(Batch, ...)]: the first dimension is the symbolic Batch and every other one a positive constant");
                return false;
            }

            inputs.Add(new InputSpec(parameter.Name, kind.Value, new EquatableArray<int>(shape.Skip(1).ToArray()), 0, lossOnly));
            bound[parameter.Name] = new TensorValue(node);
        }

        return true;
    }

    /// <summary>Token inputs get the vocabulary of the embedding that reads them as their limit.</summary>
    private static IEnumerable<InputSpec> LimitTokens(List<InputSpec> inputs, List<NodeSpec> nodes, Dictionary<string, LayerSpec> layers) =>
        inputs.Select(input => input.Kind != InputKind.Tokens ? input : input with
        {
            Limit = nodes.Where(n => n.Kind == OpKind.Embedding && nodes[n.Inputs[0]] is { Kind: OpKind.Input } i && i.Name == input.Name)
                .Select(n => layers[n.Layer!].A).DefaultIfEmpty(int.MaxValue).Min(),
        });

    private static SyntaxNode MethodSyntax(IMethodSymbol method, ParseContext context) =>
        method.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken) is MethodDeclarationSyntax m ? m.Identifier.Parent! : method.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken);

    /// <summary>A type name as C# source: a class named with a keyword (@in) keeps its '@' in the generated code.</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string? Namespace(INamedTypeSymbol type) =>
        type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();

    private static string Accessibility(INamedTypeSymbol type) => type.DeclaredAccessibility == Microsoft.CodeAnalysis.Accessibility.Public ? "public" : "internal";
}
