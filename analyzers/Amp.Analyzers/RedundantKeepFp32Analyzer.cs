using System.Collections.Immutable;
using Amp.Generator.Model;
using Amp.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Amp.Analyzers;

/// <summary>
/// AMP0009 (info, off by default): [KeepFp32] that changes nothing. On a field of a layer that runs in FP32 by
/// policy (LayerNorm, RmsNorm, Embedding); on any field or method of a model whose autocast is FP32; on a method
/// of the model whose ops, as the generator's parser sees them, include no low-precision op (Linear, MatMul,
/// Attention).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RedundantKeepFp32Analyzer : DiagnosticAnalyzer
{
    /// <summary>Layers whose op the policy never runs in low precision, from the op table.</summary>
    private static readonly ImmutableHashSet<string> Fp32Layers = OpTable.Rows
        .Where(r => r.Layer is not null && r.Policy != OpPolicy.LowPrecision)
        .Select(r => r.Layer!.TypeName)
        .ToImmutableHashSet();

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AnalyzerDescriptors.RedundantKeepFp32);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            if (symbols.KeepFp32 is null)
            {
                return;
            }

            start.RegisterSymbolAction(c => AnalyzeField(c, symbols), SymbolKind.Field);
            start.RegisterSymbolAction(c => AnalyzeModel(c, symbols), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeField(SymbolAnalysisContext context, AmpSymbols symbols)
    {
        var field = (IFieldSymbol)context.Symbol;
        if (Attribute(field, symbols) is { } attribute && Fp32Layers.Contains(field.Type.ToDisplayString()))
        {
            Report(context.ReportDiagnostic, attribute, context.CancellationToken, $"field {field.Name}", $"{field.Type.Name} runs in FP32 by policy");
        }
    }

    private static void AnalyzeModel(SymbolAnalysisContext context, AmpSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (symbols.AutocastOf(type) is not { } precision)
        {
            return;
        }

        if (precision == 0)
        {
            foreach (ISymbol member in type.GetMembers().Where(m => m is IFieldSymbol or IMethodSymbol))
            {
                if (Attribute(member, symbols) is { } attribute && !(member is IFieldSymbol f && Fp32Layers.Contains(f.Type.ToDisplayString())))
                {
                    Report(context.ReportDiagnostic, attribute, context.CancellationToken, $"{(member is IFieldSymbol ? "field" : "method")} {member.Name}", $"{type.Name} is autocast to FP32");
                }
            }

            return;
        }

        AttributeData autocast = type.GetAttributes().First(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.Autocast));
        if (type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not ClassDeclarationSyntax syntax
            || ModelParser.Parse(type, syntax, autocast, context.Compilation, context.CancellationToken).Value?.Spec is not { } spec)
        {
            return;
        }

        foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>())
        {
            string reason = $"KeepFp32 on method {method.Name}";
            NodeSpec[] kept = spec.Nodes.Where(n => n.Region.KeepFp32Reason == reason).ToArray();
            if (Attribute(method, symbols) is { } attribute && kept.Length > 0 && !kept.Any(n => OpTable.Row(n.Kind).Policy == OpPolicy.LowPrecision))
            {
                Report(context.ReportDiagnostic, attribute, context.CancellationToken, $"method {method.Name}", "none of its ops would run in low precision");
            }
        }
    }

    private static AttributeData? Attribute(ISymbol symbol, AmpSymbols symbols) =>
        symbol.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.KeepFp32));

    private static void Report(Action<Diagnostic> report, AttributeData attribute, CancellationToken cancellationToken, string where, string why)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is { } syntax)
        {
            report(Diagnostic.Create(AnalyzerDescriptors.RedundantKeepFp32, syntax.GetLocation(), where, why));
        }
    }
}
