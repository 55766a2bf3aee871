using System.Collections.Immutable;
using Amp.Generator.Diagnostics;
using Amp.Generator.Emit;
using Amp.Generator.Model;
using Amp.Generator.Parsing;
using Amp.Generator.Passes;
using Amp.Generator.Steps;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Generator;

/// <summary>
/// The Amp incremental generator: find [Autocast] classes -> parse (ModelSpec) -> shapes -> precision variants
/// -> precision -> fusion -> autodiff -> emit, each step a named, cached stage; [Module] classes get their parameter walk.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AmpGenerator : IIncrementalGenerator
{
    public static class Steps
    {
        public const string Parse = "Amp.Parse";
        public const string Shapes = "Amp.Shapes";
        public const string Variants = "Amp.Variants";
        public const string Precision = "Amp.Precision";
        public const string Fusion = "Amp.Fusion";
        public const string Autodiff = "Amp.Autodiff";
        public const string Program = "Amp.Program";
        public const string Emit = "Amp.Emit";
        public const string Modules = "Amp.Modules";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<StepResult<ParsedModel>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.Autocast, static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax, ModelParser.Parse)
            .WithTrackingName(Steps.Parse);

        // The locations go around the passes: a line shift changes the maps (and the printed text), not the specs.
        IncrementalValueProvider<ImmutableArray<SourceMap>> maps = parsed
            .Where(static p => p.Value is not null).Select(static (p, _) => p.Value!.Map).Collect();
        IncrementalValuesProvider<(string? Hint, string? Source, EquatableArray<DiagnosticInfo> Diagnostics)> models = parsed
            .Select(static (p, _) => new StepResult<ModelSpec>(p.Value?.Spec, p.Diagnostics))
            .Select(static (m, ct) => Guard(m, ct, Passes.Shapes.Infer, static s => s.ClassName)).WithTrackingName(Steps.Shapes)
            .SelectMany(static (shaped, _) => WithVariants(shaped)).WithTrackingName(Steps.Variants)
            .Select(static (m, ct) => Guard(m, ct, PrecisionPass.Run, static s => s.Spec.ClassName)).WithTrackingName(Steps.Precision)
            .Select(static (m, ct) => Guard(m, ct, Passes.Fusion.Run, static s => s.Spec.ClassName)).WithTrackingName(Steps.Fusion)
            .Select(static (m, ct) => Guard(m, ct, Autodiff.Run, static s => s.Spec.ClassName)).WithTrackingName(Steps.Autodiff)
            .Select(static (m, ct) => Guard(m, ct, StepProgramPass.Run, static s => s.Spec.ClassName)).WithTrackingName(Steps.Program)
            .Combine(maps)
            .Select(static (input, _) => EmitModel(input.Left, input.Right)).WithTrackingName(Steps.Emit);
        context.RegisterSourceOutput(models, Report);

        IncrementalValuesProvider<(string? Hint, string? Source, EquatableArray<DiagnosticInfo> Diagnostics)> modules = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.Module, static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax, ModelParser.ParseModule)
            .Select(static (module, _) => module.Value is { } spec
                ? ((string?)Hint(spec.Namespace, spec.ClassName), (string?)ModuleEmitter.Emit(spec), module.Diagnostics)
                : (null, null, module.Diagnostics))
            .WithTrackingName(Steps.Modules);
        context.RegisterSourceOutput(modules, Report);
    }

    /// <summary>
    /// Runs one pass; an exception it throws (a bug, by definition) becomes AMP1999 naming the model and the pass,
    /// never an exception out of the generator (CS8785 would leave the user with no located error and no output).
    /// </summary>
    private static StepResult<TOut> Guard<TIn, TOut>(StepResult<TIn> input, CancellationToken cancellationToken,
        Func<StepResult<TIn>, CancellationToken, StepResult<TOut>> pass, Func<TIn, string> model)
        where TIn : class
        where TOut : class
    {
        try
        {
            return pass(input, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            string name = input.Value is { } value ? model(value) : "a model";
            DiagnosticInfo error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, null, name, $"{pass.Method.DeclaringType?.Name}: {e.GetType().Name}: {e.Message}");
            return new StepResult<TOut>(null, input.Diagnostics.Concat([error]).ToEquatableArray());
        }
    }

    /// <summary>The model, then one re-planned copy per precision of [Autocast(.., Also = ..)] (diagnostics stay with the first).</summary>
    private static ImmutableArray<StepResult<ShapedModel>> WithVariants(StepResult<ShapedModel> shaped)
    {
        if (shaped.Value is not { Spec.Variants.Count: > 0 } model)
        {
            return ImmutableArray.Create(shaped);
        }

        return ImmutableArray.Create(shaped).AddRange(
            model.Spec.Variants.Select(v => new StepResult<ShapedModel>(model with { Spec = model.Spec.AsVariant((Model.Precision)v) }, EquatableArray<DiagnosticInfo>.Empty)));
    }

    private static (string?, string?, EquatableArray<DiagnosticInfo>) EmitModel(StepResult<ProgramSpec> program, ImmutableArray<SourceMap> maps)
    {
        // A pass's diagnostic names its model and node; placed here, where the locations are.
        SourceMap? Map(string? model) => model is null ? null : maps.FirstOrDefault(m => m.Model == model);
        EquatableArray<DiagnosticInfo> diagnostics = program.Diagnostics.Select(d => d.Placed(Map(d.Model))).ToEquatableArray();
        if (program.Value is not { } value)
        {
            return (null, null, diagnostics);
        }

        try
        {
            ModelSpec spec = value.Plan.Spec;
            return (Hint(spec.Namespace, spec.ClassName + (spec.IsVariant ? "." + spec.Suffix : string.Empty)), ModelEmitter.Emit(value, Map(spec.Key)), diagnostics);
        }
        catch (Exception e)
        {
            return (null, null, new EquatableArray<DiagnosticInfo>(
                [DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, null, value.Plan.Spec.ClassName, $"{e.GetType().Name}: {e.Message}")]));
        }
    }

    private static void Report(SourceProductionContext context, (string? Hint, string? Source, EquatableArray<DiagnosticInfo> Diagnostics) output)
    {
        foreach (DiagnosticInfo diagnostic in output.Diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }

        if (output.Hint is not null && output.Source is not null)
        {
            context.AddSource(output.Hint, output.Source);
        }
    }

    /// <summary>The generated file's name: verbatim '@' prefixes dropped (namespace @event.@class is valid C#, not a valid hint name).</summary>
    private static string Hint(string? ns, string name) => ((ns is null ? name : ns + "." + name) + ".Amp.g.cs").Replace("@", string.Empty);
}
