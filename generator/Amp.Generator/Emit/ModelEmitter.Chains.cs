using System.Globalization;
using System.Text.RegularExpressions;
using Amp.Generator.Model;
using static Amp.Generator.Emit.CodeText;

namespace Amp.Generator.Emit;

// Fused chains: one struct each with the FP32 formula (scalar and Vector256, the same text) and the ILGPU kernel
// typed by the storage of its inputs and output.
internal sealed partial class ModelEmitter
{
    private void WriteChain(CodeWriter w, ChainSpec chain)
    {
        PlannedNode root = plan.Nodes[chain.Root];
        Precision stored = OpTable.IsMeanLoss(root.Kind) ? Precision.Fp32 : root.Output;
        int arity = chain.Leaves.Count;
        string reads = string.Join(", ", chain.Leaves.Select(l => plan.Nodes[l].Output.Name()));
        string expression = Aliased(chain.Expression);
        const string v = "AmpVector";
        string Parameters(string type) => string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i => $"{type} x{Int(i)}"));
        w.Line($"/// <summary>Chain {chain.Index} ({SourceMap.FileLineOf(root.Source)}): {chain.Description}. Reads {reads}; FP32 in registers; stores {stored.Name()}.</summary>")
         .Open($"private readonly struct {ChainText.ChainName(chain.Index)} : {Ns}Compilation.IChain")
         .Line($"/// <summary>The leaves the formula reads: {LeafList(Enumerable.Range(0, arity))}.</summary>")
         .Line($"public static int Reads => {ReadMask(Enumerable.Range(0, arity))};")
         .Line()
         .Line($"public static float Apply({Parameters("float")}) =>")
         .Line($"    {expression};")
         .Line()
         .Line($"public static {v} Apply({Parameters(v)}) =>")
         .Line($"    {expression};")
         .Line();

        IEnumerable<string> views = Enumerable.Range(0, MaxLeaves).Select(i => $"global::ILGPU.ArrayView<{(i < arity ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")}> x{Int(i)}");
        string loads = Loads(i => i < arity);
        string store = stored switch
        {
            Precision.Bf16 => $"AmpBits.ToBf16(Apply({loads}))",
            Precision.Fp16 => $"AmpBits.ToHalf(Apply({loads}))",
            _ => $"Apply({loads})",
        };
        w.Line("/// <summary>The ILGPU kernel: a grid-stride loop; inputs shorter than the output are broadcast; only read leaves are loaded.</summary>")
         .Line("public static void Kernel(")
         .Line("    global::ILGPU.Index1D index,");
        foreach (string view in views)
        {
            w.Line($"    {view},");
        }

        w.Line($"    global::ILGPU.ArrayView<{Storage(stored)}> y,")
         .Open($"    {Ns}Compilation.ChainExtent e)")
         .Open("for (int i = index; i < e.Length; i += e.Stride)")
         .Line($"y[i] = {store};")
         .Close()
         .Close()
         .Close();
    }

    /// <summary>The ILGPU loads of the leaves <paramref name="read"/> selects, and 0f in the slots it does not.</summary>
    private static string Loads(Func<int, bool> read) => string.Join(", ", Enumerable.Range(0, MaxLeaves).Select(i =>
        read(i) ? $"AmpBits.ToFloat(x{Int(i)}[i % e.N{Int(i)}])" : "0f"));

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

    private void WriteGradChain(CodeWriter w, GradChainSpec grad)
    {
        ChainSpec chain = plan.Chains[grad.Chain];
        const string v = "AmpVector";
        bool Reads(int i) => ChainText.ReadsLeaf(chain, grad, i);
        int[] read = Enumerable.Range(0, MaxLeaves).Where(Reads).ToArray();
        IEnumerable<string> views = Enumerable.Range(0, MaxLeaves).Select(i => $"global::ILGPU.ArrayView<{(Reads(i) ? Storage(plan.Nodes[chain.Leaves[i]].Output) : "float")}> x{Int(i)}");
        w.Line($"/// <summary>Backward of chain {chain.Index} ({chain.Description}) into x{grad.Leaf} = {plan.Nodes[chain.Leaves[grad.Leaf]].Name}: g * d(chain)/d(x{grad.Leaf}).</summary>")
         .Open($"private readonly struct {ChainText.GradChainName(grad)} : {Ns}Compilation.IGradChain")
         .Line($"/// <summary>The leaves the derivative reads: {LeafList(read)}.</summary>")
         .Line($"public static int Reads => {ReadMask(read)};")
         .Line()
         .Line("public static float Apply(float g, float x0, float x1, float x2, float x3) =>")
         .Line($"    {Aliased(grad.Scalar)};")
         .Line()
         .Line($"public static {v} Apply({v} g, {v} x0, {v} x1, {v} x2, {v} x3) =>")
         .Line($"    {Aliased(grad.Vector)};")
         .Line()
         .Line("/// <summary>The ILGPU kernel: dx[i] += Apply(g[i], leaves), leaves broadcast as in the forward chain; only read leaves are loaded.</summary>")
         .Line("public static void Kernel(")
         .Line("    global::ILGPU.Index1D index,")
         .Line("    global::ILGPU.ArrayView<float> g,");
        foreach (string view in views)
        {
            w.Line($"    {view},");
        }

        w.Line("    global::ILGPU.ArrayView<float> dx,")
         .Open($"    {Ns}Compilation.ChainExtent e)")
         .Open("for (int i = index; i < e.Length; i += e.Stride)")
         .Line($"dx[i] += Apply(g[i], {Loads(Reads)});")
         .Close()
         .Close()
         .Close();
    }
}

/// <summary>Names and facts of the fused chains that the step writer and the printer share.</summary>
internal static class ChainText
{
    /// <summary>Whether leaf slot <paramref name="i"/> appears in the derivative (slots it does not read are bound to the gradient and never loaded).</summary>
    public static bool ReadsLeaf(ChainSpec chain, GradChainSpec grad, int i) =>
        i < chain.Leaves.Count && Regex.IsMatch(grad.Scalar, $@"\bx{i.ToString(CultureInfo.InvariantCulture)}\b");

    public static string GradChainName(GradChainSpec grad) => GradChainName(grad.Chain, grad.Leaf);

    /// <summary>The struct of fused chain <paramref name="chain"/>.</summary>
    public static string ChainName(int chain) => "Chain" + chain.ToString(CultureInfo.InvariantCulture);

    /// <summary>The struct of the backward of chain <paramref name="chain"/> into its leaf <paramref name="leaf"/>.</summary>
    public static string GradChainName(int chain, int leaf) => $"{ChainName(chain)}Grad{leaf.ToString(CultureInfo.InvariantCulture)}";
}
