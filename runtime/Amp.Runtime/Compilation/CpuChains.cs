using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amp.Compilation;

/// <summary>
/// Runs a generated elementwise chain on the Cpu device, one driver for every arity: blocks of the output are
/// split across cores, each leaf the chain reads is widened to FP32 scratch (broadcast leaves wrap around), the
/// chain runs eight lanes at a time with a scalar tail, and the block is rounded once into the output's storage.
/// Leaves a chain does not read (<c>TChain.Reads</c>, a constant of the chain type) are neither copied nor loaded.
/// </summary>
internal static class CpuChains
{
    private const int Block = 2048;

    /// <summary>y = TChain(x0..x3); x1..x3 null where the chain has fewer leaves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TChain>(CpuTensor y, CpuTensor x0, CpuTensor? x1, CpuTensor? x2, CpuTensor? x3)
        where TChain : struct, IChain =>
        Run(y, [x0, x1, x2, x3], TChain.Reads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (in ChainBlock s, int n) =>
        {
            int reads = TChain.Reads;
            ref float a = ref s.X0.First;
            ref float b = ref s.X1.First;
            ref float c = ref s.X2.First;
            ref float d = ref s.X3.First;
            ref float o = ref s.Y.First;
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Lane(reads, 0, ref a, i), Lane(reads, 1, ref b, i), Lane(reads, 2, ref c, i), Lane(reads, 3, ref d, i)).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(Value(reads, 0, ref a, i), Value(reads, 1, ref b, i), Value(reads, 2, ref c, i), Value(reads, 3, ref d, i));
            }
        });

    /// <summary>
    /// dx += TChain(g, x0..x3): the backward of one leaf of a chain, accumulated into its gradient; with
    /// <paramref name="overwrite"/>, dx = TChain(g, x0..x3) (the first step to write dx: it is neither zeroed nor read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunGrad<TChain>(CpuTensor dx, CpuTensor g, CpuTensor? x0, CpuTensor? x1, CpuTensor? x2, CpuTensor? x3, bool overwrite = false)
        where TChain : struct, IGradChain
    {
        if (overwrite)
        {
            RunGrad<TChain, WriteInto>(dx, g, x0, x1, x2, x3);
        }
        else
        {
            RunGrad<TChain, AddInto>(dx, g, x0, x1, x2, x3);
        }
    }

    /// <summary>Whether a chain's backward adds into dx (reading it) or writes it: a JIT-time constant per loop.</summary>
    private interface IGradInto
    {
        static abstract bool Adds { get; }
    }

    private readonly struct AddInto : IGradInto
    {
        public static bool Adds => true;
    }

    private readonly struct WriteInto : IGradInto
    {
        public static bool Adds => false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunGrad<TChain, TInto>(CpuTensor dx, CpuTensor g, CpuTensor? x0, CpuTensor? x1, CpuTensor? x2, CpuTensor? x3)
        where TChain : struct, IGradChain
        where TInto : struct, IGradInto =>
        Run(dx, [dx, g, x0, x1, x2, x3], (TInto.Adds ? 0b11 : 0b10) | (TChain.Reads << 2), [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (in ChainBlock s, int n) =>
        {
            int reads = TChain.Reads;
            ref float d = ref s.X0.First;   // dx's old values; scratch, never read, when writing
            ref float gr = ref s.X1.First;
            ref float a = ref s.X2.First;
            ref float b = ref s.X3.First;
            ref float c = ref s.X4.First;
            ref float e = ref s.X5.First;
            ref float o = ref s.Y.First;
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> grad = TChain.Apply(
                    Load(ref gr, i), Lane(reads, 0, ref a, i), Lane(reads, 1, ref b, i), Lane(reads, 2, ref c, i), Lane(reads, 3, ref e, i));
                (TInto.Adds ? Load(ref d, i) + grad : grad).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                float grad = TChain.Apply(
                    Unsafe.Add(ref gr, i), Value(reads, 0, ref a, i), Value(reads, 1, ref b, i), Value(reads, 2, ref c, i), Value(reads, 3, ref e, i));
                Unsafe.Add(ref o, i) = TInto.Adds ? Unsafe.Add(ref d, i) + grad : grad;
            }
        });

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float source, int i) => Vector256.LoadUnsafe(ref source, (nuint)i);

    /// <summary>Leaf k's lanes, or zero for a leaf the formula does not read (reads is a JIT-time constant per chain).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lane(int reads, int k, ref float slot, int i) =>
        (reads & (1 << k)) != 0 ? Vector256.LoadUnsafe(ref slot, (nuint)i) : Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Value(int reads, int k, ref float slot, int i) => (reads & (1 << k)) != 0 ? Unsafe.Add(ref slot, i) : 0f;

    /// <summary>
    /// One block's operands as the chain loops see them: up to six inputs and the output, each an FP32 array and the
    /// offset of the block's first element in it (the tensor itself, or the scratch it was widened into).
    /// </summary>
    private struct ChainBlock
    {
        public Operand X0, X1, X2, X3, X4, X5, Y;

        public void Set(int k, Operand value)
        {
            switch (k)
            {
                case 0: X0 = value; break;
                case 1: X1 = value; break;
                case 2: X2 = value; break;
                case 3: X3 = value; break;
                case 4: X4 = value; break;
                default: X5 = value; break;
            }
        }
    }

    private readonly record struct Operand(float[] Array, int Offset)
    {
        /// <summary>The block's first element (no bounds check: the driver sized every operand to the block).</summary>
        public ref float First => ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(Array), Offset);
    }

    private delegate void BlockCompute(in ChainBlock block, int n);

    /// <summary>
    /// compute(block, n) over the output in blocks. An FP32 input of the output's length is read where it lies, an FP32
    /// output written where it lies (no copy in or out: the chain is one pass over its operands); a BF16/FP16 input, or
    /// one broadcast (wrapped), is widened into scratch first, and a BF16/FP16 output rounded from scratch after.
    /// Inputs whose bit of <paramref name="read"/> is clear are not touched. In place (y one of the inputs) is safe:
    /// every lane is read before it is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(CpuTensor y, CpuTensor?[] inputs, int read, BlockCompute compute)
    {
        int blocks = (y.Length + Block - 1) / Block;
        bool outputInPlace = y.Precision == Precision.Fp32;
        CpuParallel.For(blocks, Block, (inputs.Length + 1) * Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, last, scratch) =>
        {
            for (int blockIndex = first; blockIndex < last; blockIndex++)
            {
                int start = blockIndex * Block, n = Math.Min(Block, y.Length - start);
                var block = default(ChainBlock);
                for (int k = 0; k < inputs.Length; k++)
                {
                    if ((read & (1 << k)) == 0)
                    {
                        block.Set(k, new Operand(scratch, k * Block));   // never loaded (reads is a constant of the chain)
                    }
                    else if (inputs[k]!.Precision == Precision.Fp32 && inputs[k]!.Length == y.Length)
                    {
                        block.Set(k, new Operand(inputs[k]!.As<float>(), start));
                    }
                    else
                    {
                        ReadWrapped(inputs[k]!, start, scratch.AsSpan(k * Block, n));
                        block.Set(k, new Operand(scratch, k * Block));
                    }
                }

                block.Y = outputInPlace ? new Operand(y.As<float>(), start) : new Operand(scratch, inputs.Length * Block);
                compute(in block, n);
                if (!outputInPlace)
                {
                    y.Write(start, scratch.AsSpan(inputs.Length * Block, n));
                }
            }
        });
    }

    /// <summary>Elements [start, start + length) of x repeated to the output's length (x.Length divides it).</summary>
    private static void ReadWrapped(CpuTensor x, int start, Span<float> destination)
    {
        int offset = start % x.Length, done = 0;
        while (done < destination.Length)
        {
            int count = Math.Min(destination.Length - done, x.Length - offset);
            x.Read(offset, destination.Slice(done, count));
            done += count;
            offset = 0;
        }
    }
}
