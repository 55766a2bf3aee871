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
        Run(y, [x0, x1, x2, x3], TChain.Reads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (s, n) =>
        {
            int reads = TChain.Reads;
            ref float a = ref s[0];
            ref float b = ref s[Block];
            ref float c = ref s[2 * Block];
            ref float d = ref s[3 * Block];
            ref float o = ref s[4 * Block];
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
            WriteGrad<TChain>(dx, g, x0, x1, x2, x3);
            return;
        }

        AddGrad<TChain>(dx, g, x0, x1, x2, x3);
    }

    /// <summary>dx = TChain(g, x0..x3): the accumulating loop below without the read of dx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteGrad<TChain>(CpuTensor dx, CpuTensor g, CpuTensor? x0, CpuTensor? x1, CpuTensor? x2, CpuTensor? x3)
        where TChain : struct, IGradChain =>
        Run(dx, [dx, g, x0, x1, x2, x3], 0b10 | (TChain.Reads << 2), [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (s, n) =>
        {
            int reads = TChain.Reads;
            ref float gr = ref s[Block];
            ref float a = ref s[2 * Block];
            ref float b = ref s[3 * Block];
            ref float c = ref s[4 * Block];
            ref float e = ref s[5 * Block];
            ref float o = ref s[6 * Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Load(ref gr, i), Lane(reads, 0, ref a, i), Lane(reads, 1, ref b, i), Lane(reads, 2, ref c, i), Lane(reads, 3, ref e, i))
                    .StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(
                    Unsafe.Add(ref gr, i), Value(reads, 0, ref a, i), Value(reads, 1, ref b, i), Value(reads, 2, ref c, i), Value(reads, 3, ref e, i));
            }
        });

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddGrad<TChain>(CpuTensor dx, CpuTensor g, CpuTensor? x0, CpuTensor? x1, CpuTensor? x2, CpuTensor? x3)
        where TChain : struct, IGradChain =>
        Run(dx, [dx, g, x0, x1, x2, x3], 0b11 | (TChain.Reads << 2), [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (s, n) =>
        {
            int reads = TChain.Reads;
            ref float d = ref s[0];
            ref float gr = ref s[Block];
            ref float a = ref s[2 * Block];
            ref float b = ref s[3 * Block];
            ref float c = ref s[4 * Block];
            ref float e = ref s[5 * Block];
            ref float o = ref s[6 * Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> grad = TChain.Apply(
                    Load(ref gr, i), Lane(reads, 0, ref a, i), Lane(reads, 1, ref b, i), Lane(reads, 2, ref c, i), Lane(reads, 3, ref e, i));
                (Load(ref d, i) + grad).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = Unsafe.Add(ref d, i) + TChain.Apply(
                    Unsafe.Add(ref gr, i), Value(reads, 0, ref a, i), Value(reads, 1, ref b, i), Value(reads, 2, ref c, i), Value(reads, 3, ref e, i));
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
    /// compute(scratch, n): input k (bit k of <paramref name="read"/> set) copied to scratch[k * Block], the output
    /// written at scratch[inputs * Block]; inputs whose bit is clear are not read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(CpuTensor y, CpuTensor?[] inputs, int read, Action<float[], int> compute)
    {
        int blocks = (y.Length + Block - 1) / Block;
        CpuParallel.For(blocks, Block, (inputs.Length + 1) * Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, last, scratch) =>
        {
            for (int blockIndex = first; blockIndex < last; blockIndex++)
            {
                int start = blockIndex * Block, n = Math.Min(Block, y.Length - start);
                for (int k = 0; k < inputs.Length; k++)
                {
                    if ((read & (1 << k)) != 0)
                    {
                        ReadWrapped(inputs[k]!, start, scratch.AsSpan(k * Block, n));
                    }
                }

                compute(scratch, n);
                y.Write(start, scratch.AsSpan(inputs.Length * Block, n));
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
