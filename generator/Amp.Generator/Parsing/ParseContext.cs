using Amp.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Parsing;

/// <summary>What the parse of one class shares: the compilation's semantic models, the diagnostics, cancellation.</summary>
internal sealed class ParseContext(Compilation compilation, CancellationToken cancellationToken)
{
    private readonly Dictionary<SyntaxTree, SemanticModel> models = [];

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Module array lengths by field, read once (the field walk, the parameter walk and the graph all ask).</summary>
    public Dictionary<IFieldSymbol, int> ArrayLengths { get; } = new(SymbolEqualityComparer.Default);

    public List<DiagnosticInfo> Diagnostics { get; } = [];

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
