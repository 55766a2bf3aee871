using Amp.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Amp.Generator.Parsing;

// What a name in a definition body stands for while the graph is built. These hold symbols, so they never
// leave the parse step: the graph keeps only node ids and paths.
internal abstract record GraphValue;

/// <summary>A tensor (Tensor or Tokens) produced by node <paramref name="Node"/>.</summary>
internal sealed record TensorValue(int Node) : GraphValue;

/// <summary>A Labels input.</summary>
internal sealed record LabelsValue(int Node) : GraphValue;

/// <summary>
/// The pieces of <c>Split(x, size, dim)</c> (node <paramref name="Node"/> is x): piece k is the Slice
/// <c>[k size, (k + 1) size)</c> along <paramref name="Dim"/>, made when indexed with a constant.
/// </summary>
internal sealed record SplitValue(int Node, int Size, int Dim) : GraphValue;

/// <summary>A tuple of tensors (<c>return (logits, aux);</c>): the [Forward] method's several outputs, in order.</summary>
internal sealed record TupleValue(EquatableArray<int> Nodes) : GraphValue;

/// <summary>A layer field at its path.</summary>
internal sealed record LayerValue(LayerSpec Layer) : GraphValue;

/// <summary>A [Module] instance at its path; <paramref name="Recompute"/>: [Recompute] on its field or class.</summary>
internal sealed record ModuleValue(INamedTypeSymbol Type, string Path, string? KeepFp32Reason, bool Recompute = false) : GraphValue;

/// <summary>A fixed-size array of modules (unrolled by foreach or indexed with constants).</summary>
internal sealed record ModuleArrayValue(INamedTypeSymbol Type, string Path, int Count, string? KeepFp32Reason, bool Recompute = false) : GraphValue;

/// <summary>The scope a method body is read in: its class, path prefix, region and locals.</summary>
internal sealed class Scope(INamedTypeSymbol owner, string path, RegionSpec region, Dictionary<string, GraphValue> locals)
{
    public INamedTypeSymbol Owner { get; } = owner;

    public string Path { get; } = path;

    public RegionSpec Region { get; } = region;

    public Dictionary<string, GraphValue> Locals { get; } = locals;

    public string Child(string name) => Path.Length == 0 ? name : Path + "." + name;
}
