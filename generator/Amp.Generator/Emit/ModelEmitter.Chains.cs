using System.Globalization;
using Amp.Generator.Model;

namespace Amp.Generator.Emit;

// Fused chains: one struct each with the FP32 formula (scalar and Vector256, the same text) and the ILGPU kernel
// typed by the storage of its inputs and output.
internal sealed partial class ModelEmitter
{
    private void WriteChain(CodeWriter w, ChainSpec chain)
    {
        PlannedNode root = plan.Nodes[chain.Root];
        Precision stored = root.Kind == OpKind.MseLoss ? Precision.Fp32 : root.Output;
        int arity = chain.Leaves.Count;
        string reads = string.Join(", ", chain.Leaves.Select(l => plan.Nodes[l].Output.Name()));
        string expression = chain.Expression.Replace("ChainMath.", Ns + "Compilation.ChainMath.");
        string v = "global::System.Runtime.Intrinsics.Vector256<float>";
        string Parameters(string type) => string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i => $"{type} x{Int(i)}"));
        w.Line($"/// <summary>Chain {chain.Index} (line {root.Line}): {chain.Description}. Reads {reads}; FP32 in registers; stores {stored.Name()}.</summary>")
         .Open($"private readonly struct Chain{chain.Index} : {Ns}Compilation.IChain")
         .Line($"/// <summary>The leaves the formula reads: {LeafList(Enumerable.Range(0, arity))}.</summary>")
         .Line($"public static int Reads => {ReadMask(Enumerable.Range(0, arity))};")
         .Line()
         .Line($"public static float Apply({Parameters("float")}) => {expression};")
         .Line()
         .Line($"public static {v} Apply({Parameters(v)}) => {expression};")
         .Line();

        string views = string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i => $"global::ILGPU.ArrayView<{(i < arity ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")}> x{Int(i)}"));
        string loads = Loads(i => i < arity);
        string store = stored switch
        {
            Precision.Bf16 => $"{Ns}Compilation.KernelBits.ToBf16(Apply({loads}))",
            Precision.Fp16 => $"{Ns}Compilation.KernelBits.ToHalf(Apply({loads}))",
            _ => $"Apply({loads})",
        };
        w.Line("/// <summary>The ILGPU kernel: a grid-stride loop; inputs shorter than the output are broadcast; only read leaves are loaded.</summary>")
         .Open($"public static void Kernel(global::ILGPU.Index1D index, {views}, global::ILGPU.ArrayView<{Storage(stored)}> y, {Ns}Compilation.ChainExtent e)")
         .Open("for (int i = index; i < e.Length; i += e.Stride)")
         .Line($"y[i] = {store};")
         .Close()
         .Close()
         .Close();
    }

    /// <summary>The ILGPU loads of the leaves <paramref name="read"/> selects, and 0f in the slots it does not.</summary>
    private static string Loads(Func<int, bool> read) => string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i =>
        read(i) ? $"{Ns}Compilation.KernelBits.ToFloat(x{Int(i)}[i % e.N{Int(i)}])" : "0f"));

    /// <summary>A chain's Reads constant: bit k for leaf k, written as a binary literal.</summary>
    private static string ReadMask(IEnumerable<int> leaves)
    {
        int mask = leaves.Aggregate(0, (m, i) => m | (1 << i));
        return "0b" + Convert.ToString(mask, 2).PadLeft(MaxLeaves, '0');
    }

    private static string LeafList(IEnumerable<int> leaves)
    {
        string[] names = leaves.Select(i => "x" + Int(i)).ToArray();
        return names.Length == 0 ? "none" : string.Join(", ", names);
    }

    private const int MaxLeaves = Passes.Fusion.MaxLeaves;

    /// <summary>The call that runs a chain into <paramref name="output"/>: its leaves' storage types, float for absent slots.</summary>
    private string MapCall(ChainSpec chain, string output)
    {
        PlannedNode root = plan.Nodes[chain.Root];
        Precision stored = root.Kind == OpKind.MseLoss ? Precision.Fp32 : root.Output;
        IEnumerable<string> types = Enumerable.Range(0, MaxLeaves)
            .Select(i => i < chain.Leaves.Count ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")
            .Concat([Storage(stored)]);
        string leaves = string.Join(", ", chain.Leaves.Select(l => $"t{l}"));
        return $"run.Map<Chain{chain.Index}, {string.Join(", ", types)}>(Chain{chain.Index}.Kernel, {output}, {leaves});";
    }
}
