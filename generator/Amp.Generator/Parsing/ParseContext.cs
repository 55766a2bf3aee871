using Amp.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Parsing;

/// <summary>What the parse of one class shares: the compilation's semantic models, the diagnostics, cancellation.</summary>
internal sealed class ParseContext(Compilation compilation, CancellationToken cancellationToken)
{
    private readonly Dictionary<SyntaxTree, SemanticModel> models = [];

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Module array lengths by field (its display name) and instance path, read once (the field walk, the parameter walk and the graph all ask).</summary>
    public Dictionary<string, int> ArrayLengths { get; } = new(StringComparer.Ordinal);

    public List<DiagnosticInfo> Diagnostics { get; } = [];

    /// <summary>
    /// The primary-constructor arguments of each [Module] instance by its path (<c>blocks.3</c>), folded to constants by the
    /// field walk (<c>new Block(128, 4)</c>); the graph reads a module's constants under its instance's arguments.
    /// </summary>
    public Dictionary<string, IReadOnlyDictionary<IParameterSymbol, object?>> ModuleArguments { get; } = new(StringComparer.Ordinal);

    /// <summary>The arguments bound at <paramref name="path"/>: none for the model itself or a module without a constructor.</summary>
    public IReadOnlyDictionary<IParameterSymbol, object?> ArgumentsAt(string path) =>
        ModuleArguments.TryGetValue(path, out var bound) ? bound : NoArguments;

    /// <summary>The value of an expression where a constant goes, inside the instance at <paramref name="path"/>.</summary>
    public Optional<object?> Fold(IOperation? operation, string path) => ConstantFolder.Fold(operation, ArgumentsAt(path), LoopValues);

    /// <summary>The variables of the <c>for</c> loops being unrolled, at their current iteration (<c>blocks[i]</c> folds).</summary>
    public Dictionary<ILocalSymbol, int> LoopValues { get; } = new(SymbolEqualityComparer.Default);

    private static readonly IReadOnlyDictionary<IParameterSymbol, object?> NoArguments = new Dictionary<IParameterSymbol, object?>(SymbolEqualityComparer.Default);

    public bool HasErrors => Diagnostics.Count > 0;

    public SemanticModel ModelFor(SyntaxTree tree)
    {
        if (!models.TryGetValue(tree, out SemanticModel? model))
        {
            model = compilation.GetSemanticModel(tree);
            models.Add(tree, model);
        }

        return model;
    }

    public void Report(DiagnosticDescriptor descriptor, SyntaxNode at, params string[] arguments) =>
        Diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(at), arguments));

    public void Report(DiagnosticDescriptor descriptor, SyntaxToken at, params string[] arguments) =>
        Diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(at), arguments));

    public void Report(DiagnosticDescriptor descriptor, ISymbol at, params string[] arguments)
    {
        SyntaxNode? node = at.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(CancellationToken);
        Diagnostics.Add(DiagnosticInfo.Create(descriptor, node is null ? null : LocationInfo.From(node), arguments));
    }
}
