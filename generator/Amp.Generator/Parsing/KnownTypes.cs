using Amp.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Parsing;

/// <summary>The Amp names the parser recognises, by metadata name (the generator never loads the runtime).</summary>
internal static class KnownTypes
{
    public const string Autocast = "Amp.AutocastAttribute";
    public const string Module = "Amp.ModuleAttribute";
    public const string KeepFp32 = "Amp.KeepFp32Attribute";
    public const string Recompute = "Amp.RecomputeAttribute";
    public const string Forward = "Amp.ForwardAttribute";
    public const string Loss = "Amp.LossAttribute";
    public const string Shape = "Amp.ShapeAttribute";
    public const string Classes = "Amp.ClassesAttribute";
    public const string Ops = "Amp.Ops";
    public const string Tensor = "Amp.Tensor";
    public const string Tokens = "Amp.Tokens";
    public const string Labels = "Amp.Labels";

    public static string FullName(this ITypeSymbol type) =>
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);

    public static bool Is(this ITypeSymbol? type, string name) => type is not null && type.FullName() == name;

    public static AttributeData? Attribute(this ISymbol symbol, string name) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass.Is(name));

    public static bool Has(this ISymbol symbol, string name) => symbol.Attribute(name) is not null;

    /// <summary>The layer kind of a layer type, from its op row; null for any other type.</summary>
    public static LayerKind? LayerKindOf(ITypeSymbol? type) => type is null ? null : OpTable.ForLayerType(type.FullName())?.Layer!.Kind;

    public static bool IsModule(ITypeSymbol? type) => type is INamedTypeSymbol named && named.Has(Module);

    public static Precision ToPrecision(object? value) => value is int i && i is >= 0 and <= 2 ? (Precision)i : Precision.Fp32;
}
