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
        RefuseConstructorBodies(type);
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
                else if (ReadLayer(field, kind, prefix, path, keep) is { } layer)
                {
                    Layers.Add(layer);
                }
            }
            else if (KnownTypes.IsModule(field.Type))
            {
                var held = (INamedTypeSymbol)field.Type.WithNullableAnnotation(NullableAnnotation.None);
                if (Creation(field) is not { } creation || Bind(held, creation, prefix, path))
                {
                    Walk(held, path, keep);
                }
            }
            else if (field.Type is IArrayTypeSymbol { ElementType: var element } && KnownTypes.IsModule(element))
            {
                int count = ArrayLength(field, context, prefix);
                IReadOnlyList<IObjectCreationOperation?> creations = ElementCreations(field, count);
                for (int i = 0; i < count; i++)
                {
                    string at = path + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (creations[i] is not { } creation || Bind((INamedTypeSymbol)element, creation, prefix, at))
                    {
                        Walk((INamedTypeSymbol)element, at, keep);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Binds the primary-constructor arguments of one module instance (<paramref name="creation"/>, evaluated inside the
    /// instance at <paramref name="outer"/>) to the instance at <paramref name="path"/>. An explicit constructor that takes
    /// arguments, or an argument that does not fold to a constant, is reported where it is written: the generator never
    /// plans a module with an argument it did not read.
    /// </summary>
    private bool Bind(INamedTypeSymbol module, IObjectCreationOperation creation, string outer, string path)
    {
        if (creation.Constructor is not { Parameters.Length: > 0 } constructor)
        {
            return true;
        }

        if (!IsPrimary(constructor, context.CancellationToken))
        {
            string parameters = string.Join(", ", constructor.Parameters.Select(p => $"{p.Type.ToDisplayString()} {p.Name}"));
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, creation.Syntax, $"Passing arguments to the explicit constructor of the module '{module.Name}'",
                $" (the generator would not see what the constructor does with them): declare them on the class, partial class {module.Name}({parameters})");
            return false;
        }

        var bound = new Dictionary<IParameterSymbol, object?>(SymbolEqualityComparer.Default);
        bool ok = true;
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            if (context.Fold(argument.Value, outer) is { HasValue: true } value)
            {
                bound[argument.Parameter!] = value.Value;
            }
            else
            {
                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, argument.Parameter!.Name, $"{module.Name} {path}");
                ok = false;
            }
        }

        context.ModuleArguments[path] = bound;
        return ok;
    }

    private readonly HashSet<string> refusedConstructors = new(StringComparer.Ordinal);

    /// <summary>
    /// A module's explicit constructor with statements runs at run time but not in the plan: what it does to the layers
    /// (or with its arguments) would differ between the FP64 reference and the compiled model. Refused at the declaration.
    /// </summary>
    private void RefuseConstructorBodies(INamedTypeSymbol type)
    {
        if (!KnownTypes.IsModule(type) || !refusedConstructors.Add(type.ToDisplayString()))
        {
            return;
        }

        foreach (IMethodSymbol constructor in type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared && !IsPrimary(c, context.CancellationToken)))
        {
            if (constructor.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is ConstructorDeclarationSyntax declaration
                && (declaration.Body is { Statements.Count: > 0 } || declaration.ExpressionBody is not null || declaration.Initializer is not null))
            {
                context.Report(DiagnosticDescriptors.UnsupportedSyntax, declaration.Identifier, $"A constructor with a body in the module '{type.Name}'",
                    ": the generator plans the field initializers only; take arguments through a primary constructor, partial class " + type.Name + "(int d)");
            }
        }
    }

    /// <summary>A primary constructor is declared by the type declaration itself (<c>partial class Block(int d)</c>).</summary>
    private static bool IsPrimary(IMethodSymbol constructor, CancellationToken cancellationToken) =>
        constructor.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is TypeDeclarationSyntax;

    /// <summary>The module arguments of a module instance as written in its field initializer (<c>new(128, 4)</c>).</summary>
    private IObjectCreationOperation? Creation(IFieldSymbol field) =>
        Initializer(field, context) is { } found ? InitialValue(found, context) as IObjectCreationOperation : null;

    /// <summary>A field initializer's value as an operation, implicit conversions stripped (<c>new()</c> into a nullable field).</summary>
    private static IOperation? InitialValue((EqualsValueClauseSyntax Init, SemanticModel Model) found, ParseContext context) =>
        Unconverted(found.Model.GetOperation(found.Init.Value, context.CancellationToken));

    private static IOperation? Unconverted(IOperation? operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    /// <summary>
    /// The creation of each element of a module array: <c>Repeat(n, () =&gt; new Block(128, 4))</c> (the same for all),
    /// <c>new Block[] { new(64), new(128) }</c> or <c>[new(64), new(128)]</c> (one each); none for <c>Repeat&lt;T&gt;(n)</c>.
    /// </summary>
    private IReadOnlyList<IObjectCreationOperation?> ElementCreations(IFieldSymbol field, int count)
    {
        var none = new IObjectCreationOperation?[count];
        if (Initializer(field, context) is not { } found)
        {
            return none;
        }

        if (found.Init.Value is CollectionExpressionSyntax collection)
        {
            // Roslyn 4.8 has no operation for a collection expression: its elements one by one.
            return collection.Elements.Select(e => e is ExpressionElementSyntax item ? Unconverted(found.Model.GetOperation(item.Expression, context.CancellationToken)) as IObjectCreationOperation : null)
                .Concat(none).Take(count).ToList();
        }

        IOperation? value = InitialValue(found, context);
        if (value is IArrayCreationOperation { Initializer: { } initializer })
        {
            return initializer.ElementValues.Select(e => Unconverted(e) as IObjectCreationOperation).Concat(none).Take(count).ToList();
        }

        if (value is IInvocationOperation { TargetMethod.Name: "Repeat", Arguments.Length: 2 } repeat
            && repeat.Arguments[1].Value is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }
            && lambda.Body.Operations.LastOrDefault() is IReturnOperation { ReturnedValue: var made })
        {
            return Enumerable.Repeat(Unconverted(made) as IObjectCreationOperation, count).ToList();
        }

        return none;
    }

    /// <summary>The module type a field holds (a module, a nullable module or an array of modules), or null.</summary>
    private static INamedTypeSymbol? ModuleType(IFieldSymbol field)
    {
        ITypeSymbol type = field.Type is IArrayTypeSymbol array ? array.ElementType : field.Type;
        return KnownTypes.IsModule(type) ? (INamedTypeSymbol)type.WithNullableAnnotation(NullableAnnotation.None) : null;
    }

    /// <summary>
    /// The constant length of a module array field in the instance at <paramref name="path"/>: <c>Repeat&lt;T&gt;(n)</c>,
    /// <c>Repeat(n, () =&gt; new T(..))</c>, <c>new T[] { ... }</c> or <c>[ ... ]</c>; n may be a constructor parameter of
    /// the module that holds the field.
    /// </summary>
    public static int ArrayLength(IFieldSymbol field, ParseContext context, string path)
    {
        string key = field.ToDisplayString() + "@" + path;
        if (!context.ArrayLengths.TryGetValue(key, out int length))
        {
            length = ReadArrayLength(field, context, path);
            context.ArrayLengths.Add(key, length);
        }

        return length;
    }

    private static int ReadArrayLength(IFieldSymbol field, ParseContext context, string path)
    {
        if (Initializer(field, context) is not { } found)
        {
            context.Report(DiagnosticDescriptors.UnsupportedSyntax, field, $"A module array field without an initializer ('{field.Name}')", ": write Repeat<T>(count)");
            return 0;
        }

        EqualsValueClauseSyntax init = found.Init;
        if (init.Value is CollectionExpressionSyntax collection)
        {
            return collection.Elements.Count;
        }

        switch (InitialValue(found, context))
        {
            case IInvocationOperation { TargetMethod.Name: "Repeat" } repeat when repeat.TargetMethod.ContainingType.Is(KnownTypes.Ops):
                IOperation count = repeat.Arguments[0].Value;
                if (context.Fold(count, path) is { HasValue: true, Value: int n })
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
    private bool InRange(IObjectCreationOperation creation, Dictionary<string, object?> values, LayerKind kind, string path)
    {
        LayerRow row = OpTable.ForLayer(kind).Layer!;
        string layer = $"{row.TypeName.Replace("Amp.", string.Empty)} {path}";
        long elements = 1;
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            string name = argument.Parameter!.Name;
            object? value = values[name];
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
                || (name == "groups" && (Constant(values, "inChannels") % size != 0 || Constant(values, "outChannels") % size != 0))))
            {
                string why = name == "groups" && size > 0
                    ? $"groups must divide inChannels ({Constant(values, "inChannels")}) and outChannels ({Constant(values, "outChannels")})"
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
    private static int Constant(Dictionary<string, object?> values, string name) => values.TryGetValue(name, out object? value) && value is int n ? n : 0;

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
            ? new FieldSpec(field.Name, null, element.FullName(), Math.Max(0, QuietArrayLength(field, context)), field.NullableAnnotation == NullableAnnotation.Annotated)
            : null;
    }

    /// <summary>An array field's length for the class-level field list, which only needs to know it is an array: no report.</summary>
    private static int QuietArrayLength(IFieldSymbol field, ParseContext context)
    {
        int reported = context.Diagnostics.Count;
        int length = ReadArrayLength(field, context, string.Empty);
        context.Diagnostics.RemoveRange(reported, context.Diagnostics.Count - reported);
        return length;
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

    private LayerSpec? ReadLayer(IFieldSymbol field, LayerKind kind, string prefix, string path, string? keep)
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
            // A constant, or inside a module a constructor parameter or arithmetic on them (new Linear(d, 4 * d)).
            if (context.Fold(argument.Value, prefix) is { HasValue: true } constant)
            {
                values.Add(new KeyValuePair<string, object?>(argument.Parameter!.Name, constant.Value));
            }
            else
            {
                context.Report(DiagnosticDescriptors.NonConstantLayerArgument, argument.Syntax, argument.Parameter!.Name, $"{field.Type.Name} {path}");
                ok = false;
            }
        }

        if (!ok || !InRange(creation, values.ToDictionary(v => v.Key, v => v.Value), kind, path))
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
