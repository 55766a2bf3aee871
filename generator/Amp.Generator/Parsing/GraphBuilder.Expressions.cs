using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Generator.Parsing;

// Expressions: names, member and element access, op calls, layer and module applications, helper calls
// and the Tensor operators.
internal sealed partial class GraphBuilder
{
    /// <summary>How deep expressions and inlined calls may nest: far past real models, well short of the compiler's stack.</summary>
    private const int MaxDepth = 400;

    /// <summary>
    /// How many ops one model's inlined graph may hold (forward and loss together): a GPT of 48 blocks holds about
    /// 2,000. Past it the planner's and Roslyn's time grow without bound, so the model gets a located error instead.
    /// </summary>
    internal const int MaxOps = 100_000;

    private int depth;
    private bool tooManyOps;

    public GraphValue? Eval(ExpressionSyntax expression, Scope scope, SemanticModel model)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        if (depth >= MaxDepth)
        {
            // Any unbounded walk becomes a located error here instead of a stack overflow that kills the compiler.
            Unsupported(expression, $"An expression nested more than {MaxDepth} levels deep", string.Empty);
            return null;
        }

        if (Nodes.Count >= MaxOps)
        {
            if (!tooManyOps)
            {
                tooManyOps = true;
                Unsupported(expression, $"A model of more than {MaxOps:N0} ops", ": split it into smaller models or use fewer blocks");
            }

            return null;
        }

        depth++;
        try
        {
            return EvalCore(expression, scope, model);
        }
        finally
        {
            depth--;
        }
    }

    private GraphValue? EvalCore(ExpressionSyntax expression, Scope scope, SemanticModel model)
    {
        switch (expression)
        {
            case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } suppressed:
                // a! on a nullable module field: the value is the field's.
                return Eval(suppressed.Operand, scope, model);
            case ParenthesizedExpressionSyntax parenthesized:
                return Eval(parenthesized.Expression, scope, model);
            case IdentifierNameSyntax { Identifier.ValueText: var name } when scope.Locals.TryGetValue(name, out GraphValue? local):
                return local;
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                return Member(expression, scope, model);
            case ElementAccessExpressionSyntax element:
                return Element(element, scope, model);
            case InvocationExpressionSyntax invocation:
                return Invoke(invocation, scope, model);
            case BinaryExpressionSyntax binary when binary.Kind() is SyntaxKind.AddExpression or SyntaxKind.SubtractExpression or SyntaxKind.MultiplyExpression or SyntaxKind.DivideExpression:
                return Binary(binary, scope, model);
            case TupleExpressionSyntax tuple:
                return Tuple(tuple, scope, model);
            default:
                Unsupported(expression, Describe(expression));
                return null;
        }
    }

    private GraphValue? Member(ExpressionSyntax expression, Scope scope, SemanticModel model)
    {
        ISymbol? symbol = model.GetSymbolInfo(expression, context.CancellationToken).Symbol;
        if (symbol is not IFieldSymbol field)
        {
            Unsupported(expression, $"'{expression}'", symbol is null ? string.Empty : $" (a {symbol.Kind.ToString().ToLowerInvariant()}; a definition reads only its inputs, locals, layers and modules)");
            return null;
        }

        // this.fc1, fc1, block.attn: the owner is this scope's module or a module value on the left.
        string prefix = scope.Path;
        string? keep = scope.Region.KeepFp32Reason;
        if (expression is MemberAccessExpressionSyntax { Expression: var left } && left is not ThisExpressionSyntax)
        {
            if (Eval(left, scope, model) is not ModuleValue owner)
            {
                Unsupported(expression, $"'{expression}'");
                return null;
            }

            prefix = owner.Path;
            keep = owner.KeepFp32Reason ?? keep;
        }

        string path = prefix.Length == 0 ? field.Name : prefix + "." + field.Name;
        keep = field.Has(KnownTypes.KeepFp32) ? $"KeepFp32 on field {path}" : keep;
        if (layers.TryGetValue(path, out LayerSpec? layer))
        {
            return new LayerValue(layer);
        }

        if (KnownTypes.IsModule(field.Type))
        {
            return new ModuleValue((INamedTypeSymbol)field.Type, path, keep, field.Has(KnownTypes.Recompute) || field.Type.Has(KnownTypes.Recompute));
        }

        if (field.Type is IArrayTypeSymbol { ElementType: INamedTypeSymbol element } && KnownTypes.IsModule(element))
        {
            return new ModuleArrayValue(element, path, FieldWalker.ArrayLength(field, context, prefix), keep, field.Has(KnownTypes.Recompute) || element.Has(KnownTypes.Recompute));
        }

        if (!SymbolEqualityComparer.Default.Equals(field.ContainingType, scope.Owner) && KnownTypes.LayerKindOf(field.Type) is not null)
        {
            Unsupported(expression, $"The layer '{field.Name}' inherited from '{field.ContainingType.Name}'", ": declare the model's layers in the model class itself (or in a [Module] field)");
            return null;
        }

        Unsupported(expression, $"The field '{field.Name}'", " (only layers and modules can be read in a definition)");
        return null;
    }

    /// <summary>A tuple of tensors: the outputs of a [Forward] that returns several (<c>(logits, aux)</c>).</summary>
    private GraphValue? Tuple(TupleExpressionSyntax tuple, Scope scope, SemanticModel model)
    {
        var nodes = new List<int>();
        foreach (ArgumentSyntax item in tuple.Arguments)
        {
            if (Eval(item.Expression, scope, model) is not { } value || Tensor(value, item.Expression) is not { } node)
            {
                return null;
            }

            nodes.Add(node);
        }

        return new TupleValue(nodes.ToEquatableArray());
    }

    private GraphValue? Element(ElementAccessExpressionSyntax element, Scope scope, SemanticModel model)
    {
        GraphValue? indexed = Eval(element.Expression, scope, model);
        if (indexed is SplitValue split)
        {
            return Piece(split, element, scope, model);
        }

        if (indexed is not ModuleArrayValue array)
        {
            Unsupported(element, $"Indexing '{element.Expression}'", " (only module arrays can be indexed)");
            return null;
        }

        if (element.ArgumentList.Arguments.Count != 1
            || ConstantOf(element.ArgumentList.Arguments[0].Expression, scope, model) is not { HasValue: true, Value: int index })
        {
            context.Report(DiagnosticDescriptors.NonConstantLayerArgument, element.ArgumentList, "index", array.Path);
            return null;
        }

        if (index < 0 || index >= array.Count)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, element.ArgumentList, $"{array.Path}[{index}]", $"an index in [0, {array.Count})", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return null;
        }

        return new ModuleValue(array.Type, $"{array.Path}.{index}", array.KeepFp32Reason, array.Recompute);
    }

    /// <summary>
    /// The body key of a module call: its type, and its constructor arguments when it has any (<c>Demo.Block(128, 4)</c>):
    /// instances with one key run the same code, so one argument list is planned once.
    /// </summary>
    private string ModuleKey(ModuleValue module)
    {
        string type = module.Type.ToDisplayString();
        if (context.ArgumentsAt(module.Path) is not { Count: > 0 } bound)
        {
            return type;
        }

        IEnumerable<string> values = module.Type.InstanceConstructors.SelectMany(c => c.Parameters)
            .Where(bound.ContainsKey)
            .Select(p => bound[p] switch
            {
                float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f",
                double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
            });
        return $"{type}({string.Join(", ", values)})";
    }

    /// <summary>The compile-time value of an expression in this scope: a C# constant, or one folded from the instance's module arguments.</summary>
    private Optional<object?> ConstantOf(ExpressionSyntax expression, Scope scope, SemanticModel model) =>
        model.GetConstantValue(expression, context.CancellationToken) is { HasValue: true } constant
            ? constant
            : context.Fold(model.GetOperation(expression, context.CancellationToken), scope.Path);

    private GraphValue? Binary(BinaryExpressionSyntax binary, Scope scope, SemanticModel model)
    {
        OpKind kind = binary.Kind() switch
        {
            SyntaxKind.AddExpression => OpKind.Add,
            SyntaxKind.SubtractExpression => OpKind.Sub,
            SyntaxKind.DivideExpression => OpKind.Div,
            _ => OpKind.Mul,
        };

        // A tensor and a constant: x * c, c * x and x / c are Scale (by c, or by 1 / c rounded once); x + c, c + x and
        // x - c are AddScalar; c - x is AddScalar(Scale(x, -1), c). c / x has no such form (it is Div by a tensor).
        foreach ((ExpressionSyntax constant, ExpressionSyntax other, bool constantLeft) in new[] { (binary.Right, binary.Left, false), (binary.Left, binary.Right, true) })
        {
            if (kind == OpKind.Div && constantLeft)
            {
                continue;
            }

            if (ConstantOf(constant, scope, model) is not { HasValue: true, Value: var value } || value is null or bool)
            {
                continue;
            }

            if (Eval(other, scope, model) is not { } x || Tensor(x, other) is not { } node)
            {
                return null;
            }

            float c = Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture);
            return kind switch
            {
                OpKind.Mul => Scalar(OpKind.Scale, node, c),
                OpKind.Div => Scalar(OpKind.Scale, node, 1f / c),
                OpKind.Add => Scalar(OpKind.AddScalar, node, c),
                OpKind.Sub when !constantLeft => Scalar(OpKind.AddScalar, node, -c),
                _ => new TensorValue(Add(OpKind.AddScalar, [Add(OpKind.Scale, [node], binary, scope.Region, name: scope.Child($"Scale@{LineMark}"), value: -1f)],
                    binary, scope.Region, name: scope.Child($"AddScalar@{LineMark}"), value: c)),
            };
        }

        if (Eval(binary.Left, scope, model) is not { } l || Tensor(l, binary.Left) is not { } a
            || Eval(binary.Right, scope, model) is not { } r || Tensor(r, binary.Right) is not { } b)
        {
            return null;
        }

        return new TensorValue(Add(kind, [a, b], binary, scope.Region, name: scope.Child($"{kind}@{LineMark}")));

        TensorValue Scalar(OpKind op, int input, float c) =>
            new(Add(op, [input], binary, scope.Region, name: scope.Child($"{op}@{LineMark}"), value: c));
    }

    private GraphValue? Invoke(InvocationExpressionSyntax invocation, Scope scope, SemanticModel model)
    {
        if (model.GetOperation(invocation, context.CancellationToken) is not IInvocationOperation operation)
        {
            // A call C# cannot bind because an argument is broken (Relu(fcl.Apply(x)) with a typo): blame the innermost
            // name that does not resolve, not the op around it.
            ExpressionSyntax culprit = invocation.ArgumentList.DescendantNodes().OfType<IdentifierNameSyntax>()
                .FirstOrDefault(n => model.GetSymbolInfo(n, context.CancellationToken).Symbol is null
                    && model.GetSymbolInfo(n, context.CancellationToken).CandidateSymbols.IsEmpty) ?? (ExpressionSyntax)invocation;
            context.Report(DiagnosticDescriptors.UnknownOp, culprit, culprit == invocation ? invocation.Expression.ToString() : culprit.ToString());
            return null;
        }

        IMethodSymbol method = operation.TargetMethod;
        if (method.ContainingType.Is(KnownTypes.Ops))
        {
            return Op(invocation, operation, scope, model);
        }

        ExpressionSyntax? receiver = (invocation.Expression as MemberAccessExpressionSyntax)?.Expression;
        if (KnownTypes.LayerKindOf(method.ContainingType) == LayerKind.Embedding && method.Name == "Attend" && receiver is not null)
        {
            // Weight tying: x E^T, a Linear on the embedding's own weight (one parameter; both uses add into its gradient).
            if (Eval(receiver, scope, model) is not LayerValue { Layer: var embedding } || Argument(operation, 0, scope, model) is not { } input
                || Tensor(input, operation.Arguments[0].Syntax) is not { } x)
            {
                return null;
            }

            RegionSpec region = embedding.KeepFp32Reason is null ? scope.Region : scope.Region with { KeepFp32Reason = embedding.KeepFp32Reason };
            return new TensorValue(Add(OpKind.Linear, [x], invocation, region, name: embedding.Path + ".attend", layer: embedding.Path));
        }

        if (KnownTypes.LayerKindOf(method.ContainingType) is not null && method.Name == "Apply" && receiver is not null)
        {
            return Eval(receiver, scope, model) is LayerValue layer && Argument(operation, 0, scope, model) is { } x
                ? ApplyLayer(layer.Layer, x, invocation, scope)
                : null;
        }

        if (method.Has(KnownTypes.Forward) && KnownTypes.IsModule(method.ContainingType) && receiver is not null and not ThisExpressionSyntax)
        {
            GraphValue? target = Eval(receiver, scope, model);
            if (target is not ModuleValue module)
            {
                // A receiver that failed to evaluate was reported where it failed (blocks[9]: the index).
                if (target is not null)
                {
                    Unsupported(receiver, $"Calling '{method.Name}' on '{receiver}'");
                }

                return null;
            }

            var region = module.KeepFp32Reason is null ? scope.Region : scope.Region with { KeepFp32Reason = module.KeepFp32Reason };
            if (Bind(operation, method, scope, model) is not { } bound)
            {
                return null;
            }

            int first = Nodes.Count;
            GraphValue? result = Inline(method, new Scope(module.Type, module.Path, region, []), bound, invocation);
            Calls.Add(new ModuleCallSpec(module.Path, ModuleKey(module), first, Nodes.Count) { Recompute = module.Recompute });
            return result;
        }

        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, scope.Owner) && !method.IsStatic)
        {
            return Bind(operation, method, scope, model) is { } bound ? Inline(method, scope, bound, invocation) : null;
        }

        context.Report(DiagnosticDescriptors.UnknownOp, invocation, $"{method.ContainingType.Name}.{method.Name}");
        return null;
    }

    private Dictionary<string, GraphValue>? Bind(IInvocationOperation operation, IMethodSymbol method, Scope scope, SemanticModel model)
    {
        var bound = new Dictionary<string, GraphValue>();
        foreach (IArgumentOperation argument in operation.Arguments)
        {
            IParameterSymbol parameter = argument.Parameter!;
            if (argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                // An optional parameter left out is not bound (its syntax is the call itself: evaluating it recursed
                // until the compiler's stack overflowed); a body that reads it gets AMP1002 at the read.
                continue;
            }

            if (!parameter.Type.Is(KnownTypes.Tensor) && !parameter.Type.Is(KnownTypes.Tokens) && !parameter.Type.Is(KnownTypes.Labels))
            {
                Unsupported(argument.Syntax, $"The parameter '{parameter.Name}' of type {parameter.Type.Name} of '{method.Name}'", " (helper methods take tensors only)");
                return null;
            }

            if (Eval((ExpressionSyntax)argument.Value.Syntax, scope, model) is not { } value)
            {
                return null;
            }

            bound[parameter.Name] = value;
        }

        return bound;
    }

    private GraphValue? Argument(IInvocationOperation operation, int index, Scope scope, SemanticModel model) =>
        Eval((ExpressionSyntax)operation.Arguments[index].Value.Syntax, scope, model);

    private GraphValue? ApplyLayer(LayerSpec layer, GraphValue input, SyntaxNode at, Scope scope)
    {
        OpKind kind = OpTable.ForLayer(layer.Kind).Kind;
        if (Tensor(input, at) is not { } x)
        {
            return null;
        }

        RegionSpec region = layer.KeepFp32Reason is null ? scope.Region : scope.Region with { KeepFp32Reason = layer.KeepFp32Reason };

        // A Dropout layer is the Dropout op with the layer's p (the op reads its probability from the node).
        float value = layer.Kind == LayerKind.Dropout ? layer.Float("p") : 0f;
        return new TensorValue(Add(kind, [x], at, region, layer: layer.Path, value: value));
    }
}
