using System.Globalization;
using Amp.Generator.Model;
using Amp.Generator.Passes;

namespace Amp.Generator.Emit;

/// <summary>How the model's values are spelled in generated C#: dimensions, counts, storage types, parameter fields.</summary>
internal static class CodeText
{
    public const string Ns = "global::Amp.";

    /// <summary>
    /// The aliases a model's file declares, so its chain structs and plan read as math rather than as namespaces.
    /// Named with the Amp prefix: an alias may not share a name with a type of the model's namespace (CS0576).
    /// </summary>
    public static readonly IReadOnlyList<string> Usings =
    [
        "using AmpVector = global::System.Runtime.Intrinsics.Vector256<float>;",
        "using AmpVector256 = global::System.Runtime.Intrinsics.Vector256;",
        "using AmpMath = global::Amp.Compilation.ChainMath;",
        "using AmpGradMath = global::Amp.Compilation.ChainGradMath;",
        "using AmpBits = global::Amp.Compilation.KernelBits;",
        "using AmpKind = global::Amp.OpKind;",
        "using AmpPrecision = global::Amp.Precision;",
    ];

    /// <summary>A chain formula of the fusion pass in the file's aliases.</summary>
    public static string Aliased(string expression) => expression
        .Replace("ChainGradMath.", "AmpGradMath.")
        .Replace("ChainMath.", "AmpMath.")
        .Replace("global::System.Runtime.Intrinsics.Vector256.", "AmpVector256.");

    /// <summary>The local that holds the run's device in every generated method.</summary>
    public const string Device = "device";

    /// <summary>
    /// One dimension as an expression of the emitted code. Every dimension the emitter writes goes through here: the
    /// symbolic batch is the run's <c>B</c>, never the sentinel's -1 (a Mean over a dimension that ends in the batch
    /// once divided by -1 and trained the wrong way).
    /// </summary>
    public static string Dim(int d) => d == Shapes.Batch ? "B" : Int(d);

    public static string Dims(IReadOnlyList<int> shape) => string.Join(", ", shape.Select(Dim));

    /// <summary>1 / n for a dimension n: a literal for a constant, <c>1f / B</c> for the batch.</summary>
    public static string Reciprocal(int d) => d == Shapes.Batch ? "1f / B" : Fusion.Literal(1f / d);

    /// <summary>The product of all dimensions but the last, as an expression in B.</summary>
    public static string Rows(IReadOnlyList<int> shape) => Count(shape.Take(shape.Count - 1).ToArray());

    public static string Count(IReadOnlyList<int> dims)
    {
        long constant = dims.Where(d => d != Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        return dims.Contains(Shapes.Batch) ? (constant == 1 ? "B" : $"B * {Int(constant)}") : Int(constant);
    }

    /// <summary>The element type of a storage precision in ILGPU views.</summary>
    public static string Storage(Precision p) => p switch
    {
        Precision.Bf16 => "ushort",
        Precision.Fp16 => "global::ILGPU.Half",
        _ => "float",
    };

    /// <summary>The generated field of a parameter: '_' doubled before '.' becomes '_', so a.b and a_b stay apart.</summary>
    public static string Field(string parameter) => parameter.Replace("_", "__").Replace('.', '_');

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public const int MaxLeaves = Fusion.MaxLeaves;

    /// <summary>The bytes of one sample of a planned node's output.</summary>
    public static long SampleBytes(PlannedNode n) =>
        n.Shape.Where(d => d != Shapes.Batch).Aggregate(n.Output.Bytes(), (a, b) => a * b);
}
