using System.Globalization;
using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Generator.Parsing;

/// <summary>
/// Reads definition bodies into a graph of ops, inlining helper methods and module forwards and unrolling
/// foreach over module arrays. Anything outside the model language is an AMP1002 naming the construct.
/// A null result means an error was reported; callers stop without cascading.
/// </summary>
internal sealed partial class GraphBuilder(ParseContext context, IReadOnlyDictionary<string, LayerSpec> layers)
{
    private readonly List<IMethodSymbol> callStack = [];
    private readonly Dictionary<string, int> names = [];

    public List<NodeSpec> Nodes { get; } = [];

    /// <summary>The module forwards inlined, in the order their calls finished (a nested call before its caller).</summary>
    public List<ModuleCallSpec> Calls { get; } = [];

    public bool InLoss { get; set; }

    public int AddInput(string name, SyntaxNode at, RegionSpec region) =>
        Add(OpKind.Input, [], at, region, name: name);

    /// <summary>Inlines <paramref name="method"/> with its parameters bound; returns its value.</summary>
    public GraphValue? Inline(IMethodSymbol method, Scope caller, Dictionary<string, GraphValue> arguments, SyntaxNode at)
    {
        if (callStack.Contains(method, SymbolEqualityComparer.Default))
        {
            string chain = string.Join(" -> ", callStack.SkipWhile(m => !SymbolEqualityComparer.Default.Equals(m, method)).Select(m => m.Name).Concat([method.Name]));
            context.Report(DiagnosticDescriptors.Recursion, at, method.Name, chain);
            return null;
        }

        if (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not MethodDeclarationSyntax syntax)
        {
            context.Report(DiagnosticDescriptors.UnknownOp, at, method.ToDisplayString());
            return null;
        }

        var scope = new Scope((INamedTypeSymbol)method.ContainingType, caller.Path, RegionOf(method, caller.Region), arguments);
        callStack.Add(method);
        try
        {
            SemanticModel model = context.ModelFor(syntax.SyntaxTree);
            if (syntax.ExpressionBody is { } arrow)
            {
                return Eval(arrow.Expression, scope, model);
            }

            if (syntax.Body is null)
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, syntax, "A method without a body", string.Empty);
                return null;
            }

            return Run(syntax.Body.Statements, scope, model, out GraphValue? result) && result is null
                ? Missing(syntax)
                : result;
        }
        finally
        {
            callStack.RemoveAt(callStack.Count - 1);
        }
    }

    /// <summary>The region inside <paramref name="method"/>: its own [Autocast] and [KeepFp32] over the caller's.</summary>
    public static RegionSpec RegionOf(IMethodSymbol method, RegionSpec outer)
    {
        RegionSpec region = outer;
        if (method.Attribute(KnownTypes.Autocast) is { } autocast && autocast.ConstructorArguments.Length == 1)
        {
            Precision p = KnownTypes.ToPrecision(autocast.ConstructorArguments[0].Value);
            region = region with { Autocast = p, AutocastSource = $"[Autocast({p.Name()})] on method {method.Name}", FromClass = false };
        }

        return method.Has(KnownTypes.KeepFp32) ? region with { KeepFp32Reason = $"KeepFp32 on method {method.Name}" } : region;
    }

    private GraphValue? Missing(MethodDeclarationSyntax syntax)
    {
        context.Report(DiagnosticDescriptors.UnsupportedSyntax, syntax.Identifier.Parent ?? syntax, $"A body of '{syntax.Identifier.Text}' that does not end in a return", string.Empty);
        return null;
    }

    /// <summary>Runs statements; false on error. <paramref name="result"/> is set by a return.</summary>
    private bool Run(IEnumerable<StatementSyntax> statements, Scope scope, SemanticModel model, out GraphValue? result)
    {
        result = null;
        foreach (StatementSyntax statement in statements)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            switch (statement)
            {
                case LocalDeclarationStatementSyntax local:
                    foreach (VariableDeclaratorSyntax variable in local.Declaration.Variables)
                    {
                        if (variable.Initializer is null)
                        {
                            return Unsupported(variable, "A local without an initializer");
                        }

                        if (Eval(variable.Initializer.Value, scope, model) is not { } value)
                        {
                            return false;
                        }

                        scope.Locals[variable.Identifier.ValueText] = value;
                    }

                    break;
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }:
                    if (!Assign(assignment, scope, model))
                    {
                        return false;
                    }

                    break;
                case ReturnStatementSyntax { Expression: { } returned }:
                    result = Eval(returned, scope, model);
                    return result is not null;
                case ForEachStatementSyntax loop:
                    if (!Unroll(loop, scope, model))
                    {
                        return false;
                    }

                    break;
                case ForStatementSyntax loop:
                    if (!Unroll(loop, scope, model))
                    {
                        return false;
                    }

                    break;
                case BlockSyntax block:
                    if (!Run(block.Statements, scope, model, out result) || result is not null)
                    {
                        return result is not null;
                    }

                    break;
                default:
                    return Unsupported(statement, Describe(statement));
            }
        }

        return true;
    }

    private bool Assign(AssignmentExpressionSyntax assignment, Scope scope, SemanticModel model)
    {
        if (assignment.Left is not IdentifierNameSyntax { Identifier.ValueText: var name } || !scope.Locals.ContainsKey(name))
        {
            return Unsupported(assignment.Left, $"Assigning to '{assignment.Left}' (only locals and parameters can be assigned)");
        }

        OpKind? compound = assignment.Kind() switch
        {
            SyntaxKind.SimpleAssignmentExpression => null,
            SyntaxKind.AddAssignmentExpression => OpKind.Add,
            SyntaxKind.SubtractAssignmentExpression => OpKind.Sub,
            SyntaxKind.MultiplyAssignmentExpression => OpKind.Mul,
            SyntaxKind.DivideAssignmentExpression => OpKind.Div,
            _ => OpKind.Input,
        };
        if (compound == OpKind.Input)
        {
            return Unsupported(assignment, $"The assignment operator '{assignment.OperatorToken.Text}'");
        }

        if (Eval(assignment.Right, scope, model) is not { } value)
        {
            return false;
        }

        if (compound is { } op)
        {
            if (Tensor(scope.Locals[name], assignment.Left) is not { } left || Tensor(value, assignment.Right) is not { } right)
            {
                return false;
            }

            // Named under the module's path like any op (blocks.1.Add@31, not a bare Add@31#2).
            value = new TensorValue(Add(op, [left, right], assignment, scope.Region, name: scope.Child($"{op}@{LineMark}")));
        }

        scope.Locals[name] = value;
        return true;
    }

    private bool Unroll(ForEachStatementSyntax loop, Scope scope, SemanticModel model)
    {
        if (Eval(loop.Expression, scope, model) is not ModuleArrayValue array)
        {
            return Unsupported(loop.Expression, "A foreach over something other than a module array field");
        }

        string name = loop.Identifier.ValueText;
        for (int i = 0; i < array.Count; i++)
        {
            scope.Locals[name] = new ModuleValue(array.Type, array.Path + "." + i.ToString(CultureInfo.InvariantCulture), array.KeepFp32Reason, array.Recompute);
            StatementSyntax[] body = loop.Statement is BlockSyntax block ? [.. block.Statements] : [loop.Statement];
            if (!Run(body, scope, model, out GraphValue? returned))
            {
                return false;
            }

            if (returned is not null)
            {
                return Unsupported(loop, "A return inside a foreach");
            }
        }

        scope.Locals.Remove(name);
        return true;
    }

    /// <summary>The most iterations a for loop unrolls to (a bound beyond it is a typo, not a model).</summary>
    private const int MaxUnrolled = 4096;

    /// <summary>
    /// <c>for (int i = a; i &lt; n; i++)</c> with constant bounds (<c>n</c> may be a module array's <c>Length</c>), unrolled:
    /// the body runs once per value of <c>i</c>, which folds wherever a constant goes (<c>blocks[i]</c>, arithmetic).
    /// </summary>
    private bool Unroll(ForStatementSyntax loop, Scope scope, SemanticModel model)
    {
        const string Form = " (the form unrolled is for (int i = start; i < count; i++), with constant start and count)";
        if (loop.Declaration is not { Variables.Count: 1 } declaration
            || declaration.Variables[0] is not { Initializer: { } init } variable
            || model.GetDeclaredSymbol(variable, context.CancellationToken) is not ILocalSymbol { Type.SpecialType: SpecialType.System_Int32 } counter)
        {
            return Unsupported(loop, "A for loop without one int counter", Form);
        }

        if (ConstantOf(init.Value, scope, model) is not { HasValue: true, Value: int start })
        {
            context.Report(DiagnosticDescriptors.NonConstantLayerArgument, init.Value, "start", "for");
            return false;
        }

        if (LoopBound(loop.Condition, counter, scope, model) is not { } bound)
        {
            return Unsupported((SyntaxNode?)loop.Condition ?? loop, "A for loop's condition", Form);
        }

        if (LoopStep(loop.Incrementors, counter, scope, model) is not { } step)
        {
            return Unsupported(loop, "A for loop's increment", Form);
        }

        if (Assigns(loop.Statement, counter, model))
        {
            return Unsupported(loop.Statement, $"Assigning the loop counter '{counter.Name}' inside the loop", Form);
        }

        int iterations = 0;
        for (int i = start; bound.Inclusive ? i <= bound.Value : i < bound.Value; i += step)
        {
            if (++iterations > MaxUnrolled)
            {
                return Unsupported(loop, $"A for loop of more than {MaxUnrolled} iterations");
            }

            context.LoopValues[counter] = i;
            StatementSyntax[] body = loop.Statement is BlockSyntax block ? [.. block.Statements] : [loop.Statement];
            if (!Run(body, scope, model, out GraphValue? returned))
            {
                return false;
            }

            if (returned is not null)
            {
                return Unsupported(loop, "A return inside a for loop");
            }
        }

        context.LoopValues.Remove(counter);
        return true;
    }

    /// <summary>The constant bound of <c>i &lt; n</c> or <c>i &lt;= n</c> (<c>n</c> a constant or a module array's Length), else null.</summary>
    private (int Value, bool Inclusive)? LoopBound(ExpressionSyntax? condition, ILocalSymbol counter, Scope scope, SemanticModel model)
    {
        if (condition is not BinaryExpressionSyntax binary
            || binary.Kind() is not (SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression)
            || model.GetSymbolInfo(binary.Left, context.CancellationToken).Symbol is not ILocalSymbol left
            || !SymbolEqualityComparer.Default.Equals(left, counter))
        {
            return null;
        }

        bool inclusive = binary.IsKind(SyntaxKind.LessThanOrEqualExpression);
        if (binary.Right is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" } length
            && Eval(length.Expression, scope, model) is ModuleArrayValue array)
        {
            return (array.Count, inclusive);
        }

        return ConstantOf(binary.Right, scope, model) is { HasValue: true, Value: int n } ? (n, inclusive) : null;
    }

    /// <summary>The constant positive step of <c>i++</c>, <c>++i</c> or <c>i += k</c>, else null.</summary>
    private int? LoopStep(SeparatedSyntaxList<ExpressionSyntax> incrementors, ILocalSymbol counter, Scope scope, SemanticModel model)
    {
        if (incrementors.Count != 1)
        {
            return null;
        }

        (ExpressionSyntax? target, int? step) = incrementors[0] switch
        {
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression } post => (post.Operand, 1),
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression } pre => (pre.Operand, 1),
            AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression } add =>
                (add.Left, ConstantOf(add.Right, scope, model) is { HasValue: true, Value: int k } ? k : null),
            _ => ((ExpressionSyntax?)null, (int?)null),
        };
        return target is not null && step > 0 && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(target, context.CancellationToken).Symbol, counter)
            ? step
            : null;
    }

    /// <summary>Whether <paramref name="body"/> assigns <paramref name="counter"/> (an unrolled loop's counter is fixed per iteration).</summary>
    private bool Assigns(StatementSyntax body, ILocalSymbol counter, SemanticModel model) =>
        body.DescendantNodesAndSelf().Any(n => n switch
        {
            AssignmentExpressionSyntax a => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(a.Left, context.CancellationToken).Symbol, counter),
            PostfixUnaryExpressionSyntax u => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(u.Operand, context.CancellationToken).Symbol, counter),
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } u =>
                SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(u.Operand, context.CancellationToken).Symbol, counter),
            _ => false,
        });

    private bool Unsupported(SyntaxNode at, string construct, string hint = "")
    {
        context.Report(DiagnosticDescriptors.UnsupportedSyntax, at, construct, hint);
        return false;
    }

    private static string Describe(SyntaxNode node) => node switch
    {
        IfStatementSyntax => "An if statement",
        WhileStatementSyntax or DoStatementSyntax => "A while loop",
        LambdaExpressionSyntax => "A lambda",
        ConditionalExpressionSyntax => "A conditional expression",
        LiteralExpressionSyntax => $"The literal {node} outside an op argument",
        ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => $"Creating an object ('{node}')",
        _ => $"'{node}' ({node.Kind()})",
    };

    private int? Tensor(GraphValue value, SyntaxNode at)
    {
        if (value is TensorValue t)
        {
            return t.Node;
        }

        Unsupported(at, value switch
        {
            LayerValue l => $"Using the layer '{l.Layer.Path}' as a tensor",
            ModuleValue m => $"Using the module '{m.Path}' as a tensor",
            ModuleArrayValue a => $"Using the module array '{a.Path}' as a tensor",
            _ => $"Using labels ('{at}') as a tensor",
        }, value is LayerValue ? ": apply it with .Apply(x)" : string.Empty);
        return null;
    }

    /// <summary>Where an op's name shows its line; replaced by a token of the source map (the spec holds no line).</summary>
    internal const string LineMark = "§L§";

    /// <summary>Each node's location, by id: the model's source map.</summary>
    public List<LocationInfo> Locations { get; } = [];

    private int Add(OpKind kind, int[] inputs, SyntaxNode at, RegionSpec region, string? name = null, string? layer = null,
        int[]? ints = null, float value = 0f, bool flag = false, Precision? precision = null, float value2 = 0f)
    {
        LocationInfo location = LocationInfo.From(at);
        int id = Nodes.Count;
        string baseName = name ?? layer ?? $"{kind}@{LineMark}";

        // Names are made unique as the user reads them (Gelu@12, Gelu@12#2), then stored with the line as a token.
        string shown = baseName.Replace(LineMark, location.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
        names[shown] = names.TryGetValue(shown, out int seen) ? seen + 1 : 1;
        string unique = baseName.Replace(LineMark, SourceMap.LineOf(id)) + (names[shown] == 1 ? string.Empty : $"#{names[shown]}");
        Nodes.Add(new NodeSpec(id, kind, new EquatableArray<int>(inputs), unique, layer,
            new EquatableArray<int>(ints ?? []), value, flag, precision, region, InLoss) { Float2 = value2 });
        Locations.Add(location);
        return id;
    }
}
