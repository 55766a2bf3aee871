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
        string[] xs = Enumerable.Range(0, arity).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        string reads = string.Join(", ", chain.Leaves.Select(l => plan.Nodes[l].Output.Name()));
        string expression = chain.Expression.Replace("ChainMath.", Ns + "Compilation.ChainMath.");
        string v = "global::System.Runtime.Intrinsics.Vector256<float>";
        w.Line($"/// <summary>Chain {chain.Index} (line {root.Line}): {chain.Description}. Reads {reads}; FP32 in registers; stores {stored.Name()}.</summary>")
         .Open($"private readonly struct Chain{chain.Index} : {Ns}Compilation.IChain{arity}")
         .Line($"public static float Apply({string.Join(", ", xs.Select(x => "float " + x))}) => {expression};")
         .Line()
         .Line($"public static {v} Apply({string.Join(", ", xs.Select(x => v + " " + x))}) => {expression};")
         .Line();

        string views = string.Join(", ", chain.Leaves.Select((l, i) => $"global::ILGPU.ArrayView<{Storage(plan.Nodes[l].Output)}> x{i}"));
        string loads = string.Join(", ", xs.Select((x, i) => $"{Ns}Compilation.KernelBits.ToFloat({x}[i % e.N{i}])"));
        string store = stored switch
        {
            Precision.Bf16 => $"{Ns}Compilation.KernelBits.ToBf16(Apply({loads}))",
            Precision.Fp16 => $"{Ns}Compilation.KernelBits.ToHalf(Apply({loads}))",
            _ => $"Apply({loads})",
        };
        w.Line("/// <summary>The ILGPU kernel: a grid-stride loop; inputs shorter than the output are broadcast.</summary>")
         .Open($"public static void Kernel(global::ILGPU.Index1D index, {views}, global::ILGPU.ArrayView<{Storage(stored)}> y, {Ns}Compilation.ChainExtent e)")
         .Open("for (int i = index; i < e.Length; i += e.Stride)")
         .Line($"y[i] = {store};")
         .Close()
         .Close()
         .Close();
    }
}
