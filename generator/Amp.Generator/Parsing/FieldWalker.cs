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

    public void Walk(INamedTypeSymbol type, string prefix, string? keepReason)
    {
        foreach (IFieldSymbol field in InstanceFields(type))
        {
            string path = prefix.Length == 0 ? field.Name : prefix + "." + field.Name;
            string? keep = field.Has(KnownTypes.KeepFp32) ? $"KeepFp32 on field {path}" : keepReason;
            if (KnownTypes.LayerKindOf(field.Type) is { } kind)
            {
                if (ReadLayer(field, kind, path, keep) is { } layer)
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

    private static IEnumerable<IFieldSymbol> InstanceFields(INamedTypeSymbol type) =>
        type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst && !f.IsImplicitlyDeclared);

    private static FieldSpec? Describe(IFieldSymbol field, ParseContext context)
    {
        if (KnownTypes.LayerKindOf(field.Type) is not null)
        {
            return new FieldSpec(field.Name, field.Type.FullName(), null, -1);
        }

        if (KnownTypes.IsModule(field.Type))
        {
            return new FieldSpec(field.Name, null, field.Type.FullName(), -1);
        }

        return field.Type is IArrayTypeSymbol { ElementType: var element } && KnownTypes.IsModule(element)
            ? new FieldSpec(field.Name, null, element.FullName(), ArrayLength(field, context))
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

        if (!ok)
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
