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
                case "dim0":
                case "dim1":
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
