using System.Globalization;
using System.Text.RegularExpressions;

namespace Amp.Generator.Model;

/// <summary>
/// Where a model's nodes are in its source: the side table of the parse. The specs the passes read hold no
/// locations, and a name or comment that shows a line holds a token (<see cref="LineOf"/>, <see cref="FileLineOf"/>)
/// instead; Emit joins this map and resolves them. An edit that only shifts lines then changes this map and the
/// printed text, and nothing the passes see: they stay cached.
/// </summary>
internal sealed record SourceMap(string Model, string File, EquatableArray<LocationInfo> Nodes)
{
    /// <summary>The character every token starts and ends with (never in a C# identifier, a number or an op name).</summary>
    public const char Mark = '§';

    private static readonly Regex Token = new("§(L|F)(\\d+)§", RegexOptions.CultureInvariant);

    /// <summary>Stands for node <paramref name="node"/>'s 1-based line.</summary>
    public static string LineOf(int node) => $"§L{node.ToString(CultureInfo.InvariantCulture)}§";

    /// <summary>Stands for node <paramref name="node"/>'s file name and line, as <c>Gpt.cs:12</c>.</summary>
    public static string FileLineOf(int node) => $"§F{node.ToString(CultureInfo.InvariantCulture)}§";

    /// <summary>The text with every token replaced by what it stands for.</summary>
    public string Resolve(string text) => text.IndexOf(Mark) < 0 ? text : Token.Replace(text, m =>
    {
        int node = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        string line = node < Nodes.Count ? Nodes[node].Line.ToString(CultureInfo.InvariantCulture) : "?";
        return m.Groups[1].Value == "L" ? line : $"{System.IO.Path.GetFileName(node < Nodes.Count ? Nodes[node].FilePath : File)}:{line}";
    });
}

/// <summary>What Parse produces for a model: the location-free spec the passes read, and its source map.</summary>
internal sealed record ParsedModel(ModelSpec Spec, SourceMap Map);
