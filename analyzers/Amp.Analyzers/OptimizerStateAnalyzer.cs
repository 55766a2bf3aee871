using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Analyzers;

/// <summary>
/// AMP0007 (error): a BF16/FP16 tensor given to an optimizer step as master, gradient or state, or to
/// UnscaleAndCheck as a gradient. The tensor's precision is read from where it was made: an
/// <c>Allocate</c>/<c>FromHost</c> call with a constant precision, directly or through a local's initializer.
/// AMP0008: <c>SquaredNorm</c> of the gradients before <c>UnscaleAndCheck(.., scaler.InverseScale)</c> in the same body.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OptimizerStateAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableHashSet<string> StateParameters = ImmutableHashSet.Create("master", "gradient", "momentumBuffer", "firstMoment", "secondMoment");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        ImmutableArray.Create(AnalyzerDescriptors.LowPrecisionState, AnalyzerDescriptors.ClipBeforeUnscale);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            if (symbols.Device is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeState(c, symbols), OperationKind.Invocation);
            start.RegisterOperationBlockAction(c => AnalyzeClipOrder(c, symbols));
        });
    }

    private static void AnalyzeState(OperationAnalysisContext context, AmpSymbols symbols)
    {
        var call = (IInvocationOperation)context.Operation;
        if (!SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, symbols.Device))
        {
            return;
        }

        string method = call.TargetMethod.Name;
        foreach (IArgumentOperation argument in call.Arguments.Where(a => a.ArgumentKind == ArgumentKind.Explicit))
        {
            string name = argument.Parameter?.Name ?? string.Empty;
            IEnumerable<IOperation> tensors = method is "SgdStep" or "AdamWStep" && StateParameters.Contains(name) ? [argument.Value]
                : method == "UnscaleAndCheck" && name == "gradients" ? Elements(argument.Value, context)
                : [];
            foreach (IOperation tensor in tensors)
            {
                if (PrecisionOf(tensor, symbols, context) is { } precision and not 0)
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        AnalyzerDescriptors.LowPrecisionState, tensor.Syntax.GetLocation(), tensor.Syntax.ToString(), method, AmpSymbols.PrecisionName(precision)));
                }
            }
        }
    }

    private static void AnalyzeClipOrder(OperationBlockAnalysisContext context, AmpSymbols symbols)
    {
        var calls = context.OperationBlocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Where(c => SymbolEqualityComparer.Default.Equals(c.TargetMethod.ContainingType, symbols.Device))
            .OrderBy(c => c.Syntax.SpanStart)
            .ToList();
        int unscale = calls.FindIndex(c => c.TargetMethod.Name == "UnscaleAndCheck"
            && c.Arguments.Any(a => a.Value.DescendantsAndSelf().OfType<IPropertyReferenceOperation>().Any(p => p.Property.Name == "InverseScale")));
        if (unscale < 0)
        {
            return;
        }

        foreach (IInvocationOperation norm in calls.Take(unscale).Where(c => c.TargetMethod.Name == "SquaredNorm"))
        {
            context.ReportDiagnostic(Diagnostic.Create(AnalyzerDescriptors.ClipBeforeUnscale, norm.Syntax.GetLocation()));
        }
    }

    /// <summary>The elements of an array or collection expression (directly or through a local's initializer).</summary>
    private static IEnumerable<IOperation> Elements(IOperation value, OperationAnalysisContext context)
    {
        value = Initial(value, context);
        if (value is IArrayCreationOperation { Initializer: { } init })
        {
            return init.ElementValues;
        }

        // Collection expressions ([a, b]) have no operation type in Roslyn 4.8: read their elements from the syntax.
        return value.Syntax is CollectionExpressionSyntax collection && value.SemanticModel is { } model
            ? collection.Elements.OfType<ExpressionElementSyntax>().Select(e => model.GetOperation(e.Expression, context.CancellationToken)).OfType<IOperation>()
            : [];
    }

    /// <summary>0 FP32, 1 BF16, 2 FP16 when the tensor comes from Allocate/FromHost with a constant precision; else null.</summary>
    private static int? PrecisionOf(IOperation tensor, AmpSymbols symbols, OperationAnalysisContext context)
    {
        if (Initial(tensor, context) is not IInvocationOperation { TargetMethod.Name: "Allocate" or "FromHost" } make
            || !SymbolEqualityComparer.Default.Equals(make.TargetMethod.ContainingType, symbols.Device))
        {
            return null;
        }

        IArgumentOperation? precision = make.Arguments.FirstOrDefault(a => a.Parameter?.Name == "precision");
        return precision?.Value.ConstantValue is { HasValue: true, Value: int value } ? value : null;
    }

    private static IOperation Initial(IOperation value, OperationAnalysisContext context)
    {
        while (value is IConversionOperation { IsImplicit: true } conversion)
        {
            value = conversion.Operand;
        }

        if (value is ILocalReferenceOperation local
            && local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is VariableDeclaratorSyntax { Initializer: { } init }
            && value.SemanticModel?.GetOperation(init.Value, context.CancellationToken) is { } initial)
        {
            return Initial(initial, context);
        }

        return value;
    }
}
