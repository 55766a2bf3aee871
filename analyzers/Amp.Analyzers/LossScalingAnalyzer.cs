using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Analyzers;

/// <summary>
/// AMP0005: a model with [Autocast(Precision.Fp16)] compiled with a disabled loss scaler (LossScaler.Disabled() or
/// enabled: false). AMP0006 (info, off by default): an enabled LossScaler given to a BF16 or FP32 model.
/// The options are followed through a local variable's initializer.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LossScalingAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        ImmutableArray.Create(AnalyzerDescriptors.Fp16WithoutScaling, AnalyzerDescriptors.ScalerNotNeeded);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            if (symbols.Autocast is null || symbols.LossScaler is null || symbols.TrainingOptions is null)
            {
                return;
            }

            // Findings are reported at the end of the method body: a diagnostic on a local's initializer, found from the
            // Compile call that uses it, is then local to the analysed block (so code fixes may act on it).
            start.RegisterOperationBlockStartAction(block =>
            {
                var found = new List<Diagnostic>();
                block.RegisterOperationAction(c => { lock (found) { Analyze(c, symbols, found); } }, OperationKind.Invocation);
                block.RegisterOperationBlockEndAction(end => found.ForEach(end.ReportDiagnostic));
            });
        });
    }

    private static void Analyze(OperationAnalysisContext context, AmpSymbols symbols, List<Diagnostic> found)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name != "Compile" || symbols.AutocastOf(invocation.TargetMethod.ContainingType) is not { } precision)
        {
            return;
        }

        // Compile(device, Precision.X, options) of a model with precision variants trains in X.
        if (invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "autocast")?.Value.ConstantValue is { HasValue: true, Value: int chosen })
        {
            precision = chosen;
        }

        IArgumentOperation? options = invocation.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.Type.OriginalDefinition, symbols.TrainingOptions));
        if (options is null || Creation(options.Value, context) is not IObjectCreationOperation { Initializer: { } initializer })
        {
            return;
        }

        foreach (ISimpleAssignmentOperation assignment in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
        {
            if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Scaler" } || ScalerEnabled(Unwrap(assignment.Value), symbols) is not { } enabled)
            {
                continue;
            }

            string model = invocation.TargetMethod.ContainingType.Name;
            if (precision == 2 && !enabled)
            {
                found.Add(Diagnostic.Create(AnalyzerDescriptors.Fp16WithoutScaling, assignment.Value.Syntax.GetLocation(), model));
            }
            else if (precision != 2 && enabled)
            {
                found.Add(Diagnostic.Create(AnalyzerDescriptors.ScalerNotNeeded, assignment.Value.Syntax.GetLocation(), model, AmpSymbols.PrecisionName(precision)));
            }
        }
    }

    /// <summary>Whether the expression makes an enabled LossScaler; null when it is not a LossScaler creation we can read.</summary>
    private static bool? ScalerEnabled(IOperation value, AmpSymbols symbols)
    {
        if (value is IInvocationOperation { TargetMethod.Name: "Disabled" } call && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, symbols.LossScaler))
        {
            return false;
        }

        if (value is IObjectCreationOperation creation && SymbolEqualityComparer.Default.Equals(creation.Type, symbols.LossScaler))
        {
            IArgumentOperation? enabled = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "enabled");
            return enabled is null || enabled.ArgumentKind == ArgumentKind.DefaultValue || enabled.Value.ConstantValue is not { HasValue: true, Value: false };
        }

        return null;
    }

    /// <summary>The object creation behind an argument: the expression itself, or a local's initializer.</summary>
    private static IOperation? Creation(IOperation value, OperationAnalysisContext context)
    {
        value = Unwrap(value);
        if (value is ILocalReferenceOperation local
            && local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } init }
            && value.SemanticModel?.GetOperation(init.Value, context.CancellationToken) is { } initial)
        {
            return Unwrap(initial);
        }

        return value;
    }

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation { IsImplicit: true } conversion ? Unwrap(conversion.Operand) : operation;
}
