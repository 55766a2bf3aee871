using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Analyzers;

/// <summary>
/// AMP0004: a constant converted to FP16 that does not survive: above 65504 it becomes infinity, below 2^-24
/// (5.96e-8) it becomes 0, below 2^-14 (6.10e-5) it becomes a subnormal with fewer significant bits.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HalfConstantAnalyzer : DiagnosticAnalyzer
{
    public const double MaxHalf = 65504;
    public const double SmallestNormal = 6.103515625e-05;
    public const double SmallestSubnormal = 5.9604644775390625e-08;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AnalyzerDescriptors.HalfConstant);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            AmpSymbols symbols = AmpSymbols.For(start.Compilation);
            start.RegisterOperationAction(c => Analyze(c, symbols), OperationKind.Conversion);
        });
    }

    /// <summary>What FP16 makes of <paramref name="value"/>, or null when it is exact enough (normal range or zero).</summary>
    public static string? Describe(double value)
    {
        double magnitude = Math.Abs(value);
        if (double.IsNaN(value) || double.IsInfinity(value) || magnitude == 0 || (magnitude >= SmallestNormal && magnitude <= MaxHalf))
        {
            return null;
        }

        // Round to nearest even at FP16's precision: 65520 and above round to infinity; below half the smallest subnormal, to 0.
        if (magnitude >= 65520)
        {
            return value > 0 ? "+infinity (FP16's largest finite value is 65504)" : "-infinity (FP16's largest finite value is 65504)";
        }

        if (magnitude > MaxHalf)
        {
            return $"{Math.Sign(value) * MaxHalf} (rounded to FP16's largest finite value)";
        }

        double units = Math.Round(magnitude / SmallestSubnormal, MidpointRounding.ToEven);
        if (units == 0)
        {
            return "0 (below FP16's smallest subnormal, 5.96e-8)";
        }

        double stored = Math.Sign(value) * units * SmallestSubnormal;
        int bits = (int)Math.Floor(Math.Log(units, 2)) + 1;
        return $"{stored.ToString("G6", CultureInfo.InvariantCulture)} (a subnormal below 6.10e-5, {bits} significant bit{(bits == 1 ? string.Empty : "s")} instead of 11)";
    }

    private static void Analyze(OperationAnalysisContext context, AmpSymbols symbols)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!symbols.IsHalf(conversion.Type) || !conversion.Operand.ConstantValue.HasValue)
        {
            return;
        }

        double? value = conversion.Operand.ConstantValue.Value switch
        {
            float f => f,
            double d => d,
            int i => i,
            long l => l,
            _ => null,
        };
        if (value is { } v && Describe(v) is { } becomes)
        {
            context.ReportDiagnostic(Diagnostic.Create(AnalyzerDescriptors.HalfConstant, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString(), becomes));
        }
    }
}
