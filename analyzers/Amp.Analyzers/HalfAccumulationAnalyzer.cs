using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Analyzers;

/// <summary>
/// AMP0003: a running sum kept in System.Half or ILGPU.Half, anywhere in user code: <c>h += v</c>, or
/// <c>h = h + v</c> inside a loop. FP16's 11-bit significand stalls long sums (2048 + 1 == 2048).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HalfAccumulationAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AnalyzerDescriptors.HalfAccumulation);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            if (symbols.SystemHalf is null && symbols.IlgpuHalf is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeCompound(c, symbols), OperationKind.CompoundAssignment);
            start.RegisterOperationAction(c => AnalyzeSimple(c, symbols), OperationKind.SimpleAssignment);
        });
    }

    private static void AnalyzeCompound(OperationAnalysisContext context, AmpSymbols symbols)
    {
        var assignment = (ICompoundAssignmentOperation)context.Operation;
        if (assignment.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract && symbols.IsHalf(assignment.Target.Type))
        {
            Report(context, assignment.Target, assignment.Target.Type!);
        }
    }

    private static void AnalyzeSimple(OperationAnalysisContext context, AmpSymbols symbols)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (!symbols.IsHalf(assignment.Target.Type) || !InLoop(assignment) || Unwrap(assignment.Value) is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } sum)
        {
            return;
        }

        ISymbol? target = Referenced(assignment.Target);
        if (target is not null && (SymbolEqualityComparer.Default.Equals(Referenced(Unwrap(sum.LeftOperand)), target) || SymbolEqualityComparer.Default.Equals(Referenced(Unwrap(sum.RightOperand)), target)))
        {
            Report(context, assignment.Target, assignment.Target.Type!);
        }
    }

    private static void Report(OperationAnalysisContext context, IOperation target, ITypeSymbol type) =>
        context.ReportDiagnostic(Diagnostic.Create(AnalyzerDescriptors.HalfAccumulation, context.Operation.Syntax.GetLocation(), target.Syntax.ToString(), type.ToDisplayString()));

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation { IsImplicit: true } conversion ? Unwrap(conversion.Operand) : operation;

    private static ISymbol? Referenced(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private static bool InLoop(IOperation operation)
    {
        for (IOperation? parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is ILoopOperation)
            {
                return true;
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }
}
