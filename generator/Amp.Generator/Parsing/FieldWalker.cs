using Amp.Generator.Diagnostics;
using Amp.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Generator.Parsing;

/// <summary>
/// Reads the layer fields of a model and, recursively, of its [Module] fields and module arrays, in
/// declaration order: the layers with their constant arguments at their PyTorch paths.
/// </summary>
internal sealed class FieldWalker(ParseContext context)
{
    public List<LayerSpec> Layers { get; } = [];

    /// <summary>The fields of <paramref name="type"/> that hold layers or modules (for the parameter walk).</summary>
    public static EquatableArray<FieldSpec> DescribeFields(INamedTypeSymbol type, ParseContext context) =>
        InstanceFields(type).Select(f => Describe(f, context)).Where(f => f is not null).Select(f => f!).ToEquatableArray();

    private readonly Stack<INamedTypeSymbol> walking = new();

    public void Walk(INamedTypeSymbol type, string prefix, string? keepReason)
    {
        walking.Push(type);
        try
        {
            WalkFields(type, prefix, keepReason);
        }
        finally
        {
            walking.Pop();
        }
    }

    private void WalkFields(INamedTypeSymbol type, string prefix, string? keepReason)
    {
        foreach (IFieldSymbol field in InstanceFields(type))
        {
            if (ModuleType(field) is { } nested && (nested.ContainingType is not null || nested.IsGenericType))
            {
                // Refused at the module's declaration too; here, at the use, so no cascade of errors in generated code follows.
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, field, $"The {(nested.IsGenericType ? "generic" : "nested")} module '{nested.Name}' as a field",
                    ": declare modules at namespace level, not generic");
                return;
            }

            if (ModuleType(field) is { } module && walking.Contains(module, SymbolEqualityComparer.Default))
            {
                // A module that holds itself, directly or through others, has no finite layer list.
                string chain = string.Join(" -> ", walking.Reverse().Select(t => t.Name).Concat([module.Name]));
                context.Report(DiagnosticDescriptors.Recursion, field, module.Name, $"a module field of its own type: {chain}");
                return;
            }

            string path = prefix.Length == 0 ? field.Name : prefix + "." + field.Name;
            string? keep = field.Has(KnownTypes.KeepFp32) ? $"KeepFp32 on field {path}" : keepReason;
            if (KnownTypes.LayerKindOf(field.Type) is { } kind)
            {
                if (Layers.Any(l => l.Path == path))
                {
                    // Two fields of one name (C# reports CS0102 too; a lost brace can merge two classes' fields).
                    context.Report(DiagnosticDescriptors.UnsupportedSyntax, field, $"A second layer field named '{path}'", ": rename one of them");
                }
                else if (ReadLayer(field, kind, path, keep) is { } layer)
                {
                    Layers.Add(layer);
                }
            }
            else if (KnownTypes.IsModule(field.Type))
            {
                Walk((INamedTypeSymbol)field.Type, path, keep);
            }
            else if (field.Type is IArrayTypeSymbol { ElementType: var element } && KnownTypes.IsModule(element))
            {
                int count = ArrayLength(field, context);
                for (int i = 0; i < count; i++)
                {
                    Walk((INamedTypeSymbol)element, path + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture), keep);
                }
            }
        }
    }

    /// <summary>The module type a field holds (a module, a nullable module or an array of modules), or null.</summary>
    private static INamedTypeSymbol? ModuleType(IFieldSymbol field)
    {
        ITypeSymbol type = field.Type is IArrayTypeSymbol array ? array.ElementType : field.Type;
        return KnownTypes.IsModule(type) ? (INamedTypeSymbol)type.WithNullableAnnotation(NullableAnnotation.None) : null;
    }

    /// <summary>The constant length of a module array field: <c>Repeat&lt;T&gt;(n)</c>, <c>new T[] { ... }</c> or <c>[ ... ]</c>.</summary>
    public static int ArrayLength(IFieldSymbol field, ParseContext context)
    {
        if (!context.ArrayLengths.TryGetValue(field, out int length))
        {
            length = ReadArrayLength(field, context);
            context.ArrayLengths.Add(field, length);
        }

        return length;
    }

    private static int ReadArrayLength(IFieldSymbol field, ParseContext context)
    {
        if (Initializer(field, context) is not { } found)
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, field, $"A module array field without an initializer ('{field.Name}')", ": write Repeat<T>(count)");
            return 0;
        }

        (EqualsValueClauseSyntax init, SemanticModel model) = found;

        if (init.Value is CollectionExpressionSyntax collection)
        {
            return collection.Elements.Count;
        }

        IOperation? value = model.GetOperation(init.Value, context.CancellationToken);
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        switch (value)
        {
            case IInvocationOperation { TargetMethod.Name: "Repeat" } repeat when repeat.TargetMethod.ContainingType.Is(KnownTypes.Ops):
                IOperation count = repeat.Arguments[0].Value;
                if (count.ConstantValue is { HasValue: true, Value: int n })
                {
                    if (n is < 1 or > MaxArrayLength)
                    {
                        context.Report(DiagnosticDescriptors.ArgumentOutOfRange, count.Syntax, "count", $"Repeat<{((IArrayTypeSymbol)field.Type).ElementType.Name}>",
                            n.ToString(System.Globalization.CultureInfo.InvariantCulture), $"a module array holds 1 to {MaxArrayLength} modules");
                        return 0;
                    }

                    return n;
                }

                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, count.Syntax, "count", $"Repeat<{((IArrayTypeSymbol)field.Type).ElementType.Name}>");
                return 0;
            case IArrayCreationOperation { Initializer: { } items }:
                return items.ElementValues.Length;
            default:
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, init.Value, $"The module array initializer '{init.Value}'", ": write Repeat<T>(count) or list the modules");
                return 0;
        }
    }

    /// <summary>
    /// The row's width arguments positive and their product one array (the runtime refused them only at run time),
    /// eps finite and non-negative: AMP1009 at the argument.
    /// </summary>
    private bool InRange(IObjectCreationOperation creation, LayerKind kind, string path)
    {
        LayerRow row = OpTable.ForLayer(kind).Layer!;
        string layer = $"{row.TypeName.Replace("Amp.", string.Empty)} {path}";
        long elements = 1;
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            string name = argument.Parameter!.Name;
            object? value = argument.Value.ConstantValue.Value;
            if ((name == row.InWidth || name == row.OutWidth) && value is int width)
            {
                if (width <= 0)
                {
                    context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, width.ToString(System.Globalization.CultureInfo.InvariantCulture), "layer sizes must be positive");
                    return false;
                }

                elements *= width;
                if (elements > MaxWeightElements)
                {
                    context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, width.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        $"the weight would have {elements:N0} elements, more than one array holds ({MaxWeightElements:N0})");
                    return false;
                }
            }

            if (kind == LayerKind.Conv2d && value is int size && ((name is "kernelSize" or "stride" or "dilation" or "groups" && size <= 0) || (name == "padding" && size < 0)
                || (name == "groups" && (Constant(creation, "inChannels") % size != 0 || Constant(creation, "outChannels") % size != 0))))
            {
                string why = name == "groups" && size > 0
                    ? $"groups must divide inChannels ({Constant(creation, "inChannels")}) and outChannels ({Constant(creation, "outChannels")})"
                    : name == "padding" ? "padding must be 0 or more" : $"{name} must be positive";
                context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, size.ToString(System.Globalization.CultureInfo.InvariantCulture), why);
                return false;
            }

            if (kind == LayerKind.Dropout && name == "p" && value is float p && !(p >= 0 && p < 1))
            {
                context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, p.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "a dropout probability is in [0, 1)");
                return false;
            }

            if (name == "momentum" && value is float momentum && !(momentum >= 0 && momentum <= 1))
            {
                context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, momentum.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "momentum must be in [0, 1]");
                return false;
            }

            if (name == "eps" && value is float eps && !(eps >= 0 && !float.IsInfinity(eps)))
            {
                context.Report(DiagnosticDescriptors.ArgumentOutOfRange, argument.Syntax, name, layer, eps.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "eps must be finite and >= 0");
                return false;
            }
        }

        return true;
    }

    /// <summary>An int argument of the constructor call by parameter name (0 when not a constant int).</summary>
    private static int Constant(IObjectCreationOperation creation, string name) =>
        creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == name)?.Value.ConstantValue.Value is int value ? value : 0;

    /// <summary>Array.MaxLength: the most elements one weight (a .NET array) can hold.</summary>
    internal const long MaxWeightElements = 0x7FFFFFC7;

    /// <summary>The most modules one array may hold: far past any real model, and short of what stalls the compiler.</summary>
    internal const int MaxArrayLength = 4096;

    private static IEnumerable<IFieldSymbol> InstanceFields(INamedTypeSymbol type) =>
        type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst && !f.IsImplicitlyDeclared);

    private static FieldSpec? Describe(IFieldSymbol field, ParseContext context)
    {
        if (KnownTypes.LayerKindOf(field.Type) is not null)
        {
            return new FieldSpec(field.Name, field.Type.WithNullableAnnotation(NullableAnnotation.None).FullName(), null, -1, field.NullableAnnotation == NullableAnnotation.Annotated);
        }

        if (KnownTypes.IsModule(field.Type))
        {
            return new FieldSpec(field.Name, null, field.Type.WithNullableAnnotation(NullableAnnotation.None).FullName(), -1, field.NullableAnnotation == NullableAnnotation.Annotated);
        }

        return field.Type is IArrayTypeSymbol { ElementType: var element } && KnownTypes.IsModule(element)
            ? new FieldSpec(field.Name, null, element.FullName(), ArrayLength(field, context), field.NullableAnnotation == NullableAnnotation.Annotated)
            : null;
    }

    private static (EqualsValueClauseSyntax Init, SemanticModel Model)? Initializer(IFieldSymbol field, ParseContext context)
    {
        foreach (SyntaxReference reference in field.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is VariableDeclaratorSyntax { Initializer: { } init } declarator)
            {
                return (init, context.ModelFor(declarator.SyntaxTree));
            }
        }

        return null;
    }

    private LayerSpec? ReadLayer(IFieldSymbol field, LayerKind kind, string path, string? keep)
    {
        if (Initializer(field, context) is not { } found
            || found.Model.GetOperation(found.Init.Value, context.CancellationToken) is not IObjectCreationOperation creation)
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, field, $"The layer field '{field.Name}' without a constructor call", $": write {field.Type.Name} {field.Name} = new(...)");
            return null;
        }

        var values = new List<KeyValuePair<string, object?>>();
        bool ok = true;
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            if (argument.Value.ConstantValue is { HasValue: true } constant)
            {
                values.Add(new KeyValuePair<string, object?>(argument.Parameter!.Name, constant.Value));
            }
            else
            {
                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, argument.Parameter!.Name, $"{field.Type.Name} {path}");
                ok = false;
            }
        }

        if (!ok || !InRange(creation, kind, path))
        {
            return null;
        }

        // Every argument, in the constructor's order: the op row names the ones the passes read.
        IEnumerable<LayerArgument> arguments = values.Select(v => new LayerArgument(v.Key, v.Value switch
        {
            bool flag => flag ? 1 : 0,
            null => 0,
            var number => Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture),
        }));
        return new LayerSpec(path, kind, arguments.ToEquatableArray(), keep);
    }
}
