using Microsoft.CodeAnalysis;

namespace Amp.Analyzers;

/// <summary>The Amp and Half types the analyzers look for, resolved once per compilation (null when absent).</summary>
internal sealed class AmpSymbols
{
    private AmpSymbols(Compilation compilation)
    {
        Autocast = compilation.GetTypeByMetadataName("Amp.AutocastAttribute");
        Ops = compilation.GetTypeByMetadataName("Amp.Ops");
        LossScaler = compilation.GetTypeByMetadataName("Amp.LossScaler");
        TrainingOptions = compilation.GetTypeByMetadataName("Amp.TrainingOptions");
        Device = compilation.GetTypeByMetadataName("Amp.AmpDevice");
        KeepFp32 = compilation.GetTypeByMetadataName("Amp.KeepFp32Attribute");
        SystemHalf = compilation.GetTypeByMetadataName("System.Half");
        IlgpuHalf = compilation.GetTypeByMetadataName("ILGPU.Half");
    }

    public INamedTypeSymbol? Autocast { get; }

    public INamedTypeSymbol? Ops { get; }

    public INamedTypeSymbol? LossScaler { get; }

    public INamedTypeSymbol? TrainingOptions { get; }

    public INamedTypeSymbol? Device { get; }

    public INamedTypeSymbol? KeepFp32 { get; }

    public INamedTypeSymbol? SystemHalf { get; }

    public INamedTypeSymbol? IlgpuHalf { get; }

    public static AmpSymbols For(Compilation compilation) => new(compilation);

    public bool IsHalf(ITypeSymbol? type) =>
        type is not null && (SymbolEqualityComparer.Default.Equals(type, SystemHalf) || SymbolEqualityComparer.Default.Equals(type, IlgpuHalf));

    /// <summary>The precision named by the type's [Autocast], or null. Values follow Amp.Precision: 0 FP32, 1 BF16, 2 FP16.</summary>
    public int? AutocastOf(ITypeSymbol? type)
    {
        AttributeData? attribute = type?.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, Autocast));
        return attribute is { ConstructorArguments.Length: > 0 } && attribute.ConstructorArguments[0].Value is int value ? value : null;
    }

    public static string PrecisionName(int value) => value switch
    {
        1 => "BF16",
        2 => "FP16",
        _ => "FP32",
    };
}
