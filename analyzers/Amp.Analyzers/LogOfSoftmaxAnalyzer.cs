using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Analyzers;

/// <summary>
/// AMP0002: <c>Log(Softmax(x))</c>, two ops where LogSoftmax is one stable op. AMP0010: <c>Log(Sigmoid(x))</c>,
/// binary cross-entropy written on probabilities instead of logits.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LogOfSoftmaxAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AnalyzerDescriptors.LogOfSoftmax, AnalyzerDescriptors.LogOfSigmoid);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            INamedTypeSymbol? ops = AmpSymbols.For(start.Compilation).Ops;
            if (ops is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, ops), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol ops)
    {
        var log = (IInvocationOperation)context.Operation;
        if (!IsOp(log, ops, "Log") || log.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value is not IInvocationOperation inner)
        {
            return;
        }

        if (IsOp(inner, ops, "Softmax"))
        {
            context.ReportDiagnostic(Diagnostic.Create(AnalyzerDescriptors.LogOfSoftmax, log.Syntax.GetLocation()));
        }
        else if (IsOp(inner, ops, "Sigmoid"))
        {
            context.ReportDiagnostic(Diagnostic.Create(AnalyzerDescriptors.LogOfSigmoid, log.Syntax.GetLocation()));
        }
    }

    private static bool IsOp(IInvocationOperation invocation, INamedTypeSymbol ops, string name) =>
        invocation.TargetMethod.Name == name && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, ops);
}
