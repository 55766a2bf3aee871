using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Amp.Generator.Model;

/// <summary>A source location as plain values (a Roslyn Location would pin the compilation and break caching).</summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    /// <summary>The 1-based line, as the plan and the comments show it.</summary>
    public int Line => StartLine + 1;

    public static LocationInfo From(SyntaxNode node) => From(node.GetLocation());

    public static LocationInfo From(SyntaxToken token) => From(token.GetLocation());

    private static LocationInfo From(Location location)
    {
        FileLinePositionSpan span = location.GetLineSpan();
        return new LocationInfo(
            span.Path ?? string.Empty, location.SourceSpan.Start, location.SourceSpan.Length,
            span.StartLinePosition.Line, span.StartLinePosition.Character, span.EndLinePosition.Line, span.EndLinePosition.Character);
    }

    public Location ToLocation() => Location.Create(
        FilePath,
        new TextSpan(Start, Length),
        new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));
}

/// <summary>A diagnostic to report, by descriptor ID, with its location and message arguments.</summary>
/// <remarks>
/// A pass after Parse has no locations (they live in the model's <see cref="SourceMap"/>): it names the model and
/// the node instead (<see cref="AtNode"/>), and the diagnostic is placed when the map is joined at Emit.
/// </remarks>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    /// <summary>The model (<see cref="ModelSpec.Key"/>) whose node <see cref="Node"/> the diagnostic is at; null when it has its location.</summary>
    public string? Model { get; init; }

    public int Node { get; init; } = -1;

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, new EquatableArray<string>(arguments));

    public static DiagnosticInfo AtNode(DiagnosticDescriptor descriptor, string model, int node, params string[] arguments) =>
        new(descriptor.Id, null, new EquatableArray<string>(arguments)) { Model = model, Node = node };

    /// <summary>This diagnostic placed with <paramref name="map"/>: its node's location, and every line token in its arguments resolved.</summary>
    public DiagnosticInfo Placed(SourceMap? map) => map is null || (Node < 0 && !Arguments.Any(a => a.Contains(SourceMap.Mark)))
        ? this
        : new DiagnosticInfo(Id, Node >= 0 && Node < map.Nodes.Count ? map.Nodes[Node] : Location, Arguments.Select(map.Resolve).ToEquatableArray());
}
