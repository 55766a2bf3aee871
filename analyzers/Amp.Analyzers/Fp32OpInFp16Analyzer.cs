using System.Collections.Immutable;
using Amp.Generator.Model;
using Amp.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Amp.Analyzers;

/// <summary>
/// AMP0001: an op of the FP32 list (softmax, log-softmax, exp, log, sums and means, norms, losses) that an explicit
/// override puts in FP16. It parses the model with the generator's own parser, so it sees helper methods and
/// modules exactly as the generator does, and reports at the call.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class Fp32OpInFp16Analyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AnalyzerDescriptors.Fp32OpInFp16);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            if (symbols.Autocast is null)
            {
                return;
            }

            start.RegisterSymbolAction(c => AnalyzeModel(c, symbols), SymbolKind.NamedType);
        });
    }

    /// <summary>On the FP32 list (its op row's policy): an explicit 16-bit precision there is what AMP0001 flags.</summary>
    internal static bool IsFp32Policy(OpKind kind) => OpTable.Row(kind).Policy is OpPolicy.Fp32 or OpPolicy.Loss;

    private static void AnalyzeModel(SymbolAnalysisContext context, AmpSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        AttributeData? autocast = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.Autocast));
        if (autocast is null || type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not ClassDeclarationSyntax syntax)
        {
            return;
        }

        // A model the generator rejects gets the generator's error instead; nothing to advise on.
        StepResult<ParsedModel> parsed = ModelParser.Parse(type, syntax, autocast, context.Compilation, context.CancellationToken);
        if (parsed.Value is not { } model)
        {
            return;
        }

        foreach (NodeSpec node in model.Spec.Nodes.Where(n => n.Override == Generator.Model.Precision.Fp16 && IsFp32Policy(n.Kind)))
        {
            LocationInfo at = model.Map.Nodes[node.Id];
            SyntaxTree? tree = context.Compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == at.FilePath);
            if (tree is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    AnalyzerDescriptors.Fp32OpInFp16, Location.Create(tree, new TextSpan(at.Start, at.Length)), node.Kind.ToString(), "explicit precision: FP16"));
            }
        }
    }
}
