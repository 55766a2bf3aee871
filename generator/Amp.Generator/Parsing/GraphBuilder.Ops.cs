using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Generator.Parsing;

// Calls to Amp.Ops: tensor arguments become node inputs; constants (factor, heads, shape, causal) and the
// explicit precision override are read from the arguments, defaults included.
internal sealed partial class GraphBuilder
{
    private GraphValue? Op(InvocationExpressionSyntax invocation, IInvocationOperation operation, Scope scope, SemanticModel model)
    {
        string name = operation.TargetMethod.Name;
        if (name == "Split")
        {
            return Split(operation, scope, model);
        }

        if (OpTable.ForOpsName(name) is not { } row)
        {
            context.Report(DiagnosticDescriptors.UnknownOp, invocation, $"Ops.{name}");
            return null;
        }

        OpKind kind = row.Kind;
        var inputs = new List<int>();
        var ints = new List<int>();
        float value = 0f, value2 = 0f;
        bool flag = false;
        Precision? precision = null;
        foreach (IArgumentOperation argument in operation.Arguments)
        {
            IParameterSymbol parameter = argument.Parameter!;
            if (parameter.Type.Is(KnownTypes.Tensor) || parameter.Type.Is(KnownTypes.Tokens) || parameter.Type.Is(KnownTypes.Labels))
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue)
                {
                    // An optional tensor left out: nothing to read (its syntax is the call itself).
                    continue;
                }

                if (Eval((ExpressionSyntax)argument.Value.Syntax, scope, model) is not { } v)
                {
                    return null;
                }

                int? node = v is LabelsValue labels && parameter.Type.Is(KnownTypes.Labels) ? labels.Node : Tensor(v, argument.Syntax);
                if (node is null)
                {
                    return null;
                }

                inputs.Add(node.Value);
                continue;
            }

            if (parameter.Type is IArrayTypeSymbol { ElementType: var element } && element.Is(KnownTypes.Tensor))
            {
                if (Tensors(argument, name, scope, model) is not { } list)
                {
                    return null;
                }

                inputs.AddRange(list);
                continue;
            }

            if (parameter.Name == "shape")
            {
                if (Dimensions(argument, name, scope) is not { } dims)
                {
                    return null;
                }

                ints.AddRange(dims);
                continue;
            }

            Optional<object?> constant = Constant(argument.Value, scope);
            if (!constant.HasValue && argument.ArgumentKind == ArgumentKind.DefaultValue && parameter.Name == "precision")
            {
                continue;
            }

            if (!constant.HasValue && argument.ArgumentKind == ArgumentKind.DefaultValue && parameter.Name == "stride" && ints.Count > 0)
            {
                // PyTorch's default stride: the kernel size.
                ints.Add(ints[ints.Count - 1]);
                continue;
            }

            if (!constant.HasValue)
            {
                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, parameter.Name, name);
                return null;
            }

            switch (parameter.Name)
            {
                case "precision":
                    precision = constant.Value is null ? null : KnownTypes.ToPrecision(constant.Value);
                    break;
                case "factor":
                case "value":
                case "min":
                    value = Convert.ToSingle(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "max":
                    value2 = Convert.ToSingle(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "p":
                    value = Convert.ToSingle(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (!(value >= 0f && value < 1f))
                    {
                        context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, "p", name,
                            value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "a dropout probability is in [0, 1)");
                        return null;
                    }

                    break;
                case "labelSmoothing":
                    value = Convert.ToSingle(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (!(value >= 0f && value <= 1f))
                    {
                        context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, "labelSmoothing", name,
                            value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "label smoothing is in [0, 1]");
                        return null;
                    }

                    break;
                case "count":
                case "dim0":
                case "dim1":
                case "dim":
                case "start":
                case "end":
                case "heads":
                case "kernelSize":
                case "outputSize":
                case "ignoreIndex":
                    ints.Add((int)constant.Value!);
                    break;
                case "stride":
                    // PyTorch's default stride is the kernel size (null here).
                    ints.Add(constant.Value is int stride ? stride : ints[ints.Count - 1]);
                    break;
                case "causal":
                    flag = (bool)constant.Value!;
                    break;
                default:
                    // Every constant an op takes must reach its node: a parameter the parser does not know would be lost.
                    context.Report(DiagnosticDescriptors.UnsupportedSyntax, argument.Syntax, $"The argument '{parameter.Name}' of '{name}'", " (the generator does not read it)");
                    return null;
            }
        }

        return new TensorValue(Add(kind, [.. inputs], invocation, scope.Region, name: scope.Child($"{kind}@{LineMark}"),
            ints: [.. ints], value: value, flag: flag, precision: precision, value2: value2));
    }

    /// <summary>
    /// A constant through implicit conversions (an enum passed to a Precision? parameter), or inside a module a value
    /// folded from its constructor arguments (<c>heads: heads</c>, <c>d / heads</c>).
    /// </summary>
    private Optional<object?> Constant(IOperation value, Scope scope)
    {
        IOperation inner = value;
        while (!inner.ConstantValue.HasValue && inner is IConversionOperation conversion)
        {
            inner = conversion.Operand;
        }

        return inner.ConstantValue.HasValue ? inner.ConstantValue : context.Fold(value, scope.Path);
    }

    /// <summary>The tensors of a Tensor[] argument written in place (<c>[a, b]</c>, <c>new[] { a, b }</c>); at least one.</summary>
    private List<int>? Tensors(IArgumentOperation argument, string op, Scope scope, SemanticModel model)
    {
        SyntaxNode syntax = argument.Value.Syntax;
        IEnumerable<ExpressionSyntax>? items = syntax switch
        {
            CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) =>
                collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression),
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions,
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions,
            _ => null,
        };
        if (items is null || !items.Any())
        {
            Unsupported(syntax, $"The tensors of '{op}' written as '{syntax}'", " (list them in place: [a, b] or new[] { a, b })");
            return null;
        }

        var nodes = new List<int>();
        foreach (ExpressionSyntax item in items)
        {
            if (Eval(item, scope, model) is not { } value || Tensor(value, item) is not { } node)
            {
                return null;
            }

            nodes.Add(node);
        }

        return nodes;
    }

    /// <summary>Split(x, splitSize, dim): its pieces are made when indexed (the parser does not know x's size yet).</summary>
    private GraphValue? Split(IInvocationOperation operation, Scope scope, SemanticModel model)
    {
        if (Argument(operation, 0, scope, model) is not { } input || Tensor(input, operation.Arguments[0].Syntax) is not { } x)
        {
            return null;
        }

        int[] constants = new int[2];
        for (int k = 1; k <= 2; k++)
        {
            IArgumentOperation argument = operation.Arguments.First(a => a.Parameter!.Ordinal == k);
            if (Constant(argument.Value, scope) is not { HasValue: true, Value: int value })
            {
                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, argument.Parameter!.Name, "Split");
                return null;
            }

            constants[k - 1] = value;
        }

        if (constants[0] <= 0)
        {
            IArgumentOperation size = operation.Arguments.First(a => a.Parameter!.Ordinal == 1);
            context.Report(DiagnosticDescriptors.ArgumentOutOfRange, size.Syntax, "splitSize", "Split",
                constants[0].ToString(System.Globalization.CultureInfo.InvariantCulture), "a piece has at least one element");
            return null;
        }

        return new SplitValue(x, constants[0], constants[1]);
    }

    /// <summary>Piece k of a Split: the Slice [k size, (k + 1) size) along its dim (the last piece stops at the end).</summary>
    private GraphValue? Piece(SplitValue split, ElementAccessExpressionSyntax element, Scope scope, SemanticModel model)
    {
        if (element.ArgumentList.Arguments.Count != 1
            || ConstantOf(element.ArgumentList.Arguments[0].Expression, scope, model) is not { HasValue: true, Value: int k })
        {
            context.Report(DiagnosticDescriptors.NonConstantLayerArgument, element.ArgumentList, "index", element.Expression.ToString());
            return null;
        }

        // An index past the last piece becomes an empty slice: AMP1005 at this index, with the range and the shape.
        long start = (long)k * split.Size;
        int end = (int)Math.Min(int.MaxValue, start + split.Size);
        if (k < 0 || start > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, element.ArgumentList, $"{element.Expression}[{k}]", "an index of a piece", k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return null;
        }

        return new TensorValue(Add(OpKind.Slice, [split.Node], element, scope.Region, name: scope.Child($"Slice@{LineMark}"),
            ints: [split.Dim, (int)start, end]));
    }

    private int[]? Dimensions(IArgumentOperation argument, string op, Scope scope)
    {
        if (argument.Value is IArrayCreationOperation { Initializer: { } items })
        {
            var dims = new List<int>();
            foreach (IOperation item in items.ElementValues)
            {
                if (context.Fold(item, scope.Path) is not { HasValue: true, Value: int d })
                {
                    context.Report(DiagnosticDescriptors.NonConstantLayerArgument, item.Syntax, "shape", op);
                    return null;
                }

                dims.Add(d);
            }

            return [.. dims];
        }

        context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, "shape", op);
        return null;
    }
}
