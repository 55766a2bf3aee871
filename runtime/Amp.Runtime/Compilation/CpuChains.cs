using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp.Compilation;

/// <summary>
/// Runs a generated elementwise chain on the Cpu device: blocks of the output are split across cores, each
/// input block is widened to FP32 scratch (broadcast inputs wrap around), the chain runs eight lanes at a
/// time with a scalar tail, and the block is rounded once into the output's storage.
/// </summary>
internal static class CpuChains
{
    private const int Block = 2048;

    public static void Run1<TChain>(CpuTensor y, CpuTensor x0)
        where TChain : struct, IChain1 =>
        Run(y, [x0], static (s, n) =>
        {
            ref float a = ref s[0];
            ref float o = ref s[Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Load(ref a, i)).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(Unsafe.Add(ref a, i));
            }
        });

    public static void Run2<TChain>(CpuTensor y, CpuTensor x0, CpuTensor x1)
        where TChain : struct, IChain2 =>
        Run(y, [x0, x1], static (s, n) =>
        {
            ref float a = ref s[0];
            ref float b = ref s[Block];
            ref float o = ref s[2 * Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Load(ref a, i), Load(ref b, i)).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
            }
        });

    public static void Run3<TChain>(CpuTensor y, CpuTensor x0, CpuTensor x1, CpuTensor x2)
        where TChain : struct, IChain3 =>
        Run(y, [x0, x1, x2], static (s, n) =>
        {
            ref float a = ref s[0];
            ref float b = ref s[Block];
            ref float c = ref s[2 * Block];
            ref float o = ref s[3 * Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Load(ref a, i), Load(ref b, i), Load(ref c, i)).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), Unsafe.Add(ref c, i));
            }
        });

    public static void Run4<TChain>(CpuTensor y, CpuTensor x0, CpuTensor x1, CpuTensor x2, CpuTensor x3)
        where TChain : struct, IChain4 =>
        Run(y, [x0, x1, x2, x3], static (s, n) =>
        {
            ref float a = ref s[0];
            ref float b = ref s[Block];
            ref float c = ref s[2 * Block];
            ref float d = ref s[3 * Block];
            ref float o = ref s[4 * Block];
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TChain.Apply(Load(ref a, i), Load(ref b, i), Load(ref c, i), Load(ref d, i)).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = TChain.Apply(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), Unsafe.Add(ref c, i), Unsafe.Add(ref d, i));
            }
        });

    /// <summary>dx += TChain(g, x0..x3): the backward of one leaf of a chain, accumulated into its FP32 gradient.</summary>
    public static void RunGrad<TChain>(CpuTensor dx, CpuTensor g, CpuTensor x0, CpuTensor x1, CpuTensor x2, CpuTensor x3)
        where TChain : struct, IGradChain =>
        Run(dx, [dx, g, x0, x1, x2, x3], skip: [false, false, x0 == g, x1 == g, x2 == g, x3 == g], static (s, n) =>
        {
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
                (Load(ref d, i) + TChain.Apply(Load(ref gr, i), Load(ref a, i), Load(ref b, i), Load(ref c, i), Load(ref e, i))).StoreUnsafe(ref o, (nuint)i);
            }

            for (; i < n; i++)
            {
                Unsafe.Add(ref o, i) = Unsafe.Add(ref d, i)
                    + TChain.Apply(Unsafe.Add(ref gr, i), Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), Unsafe.Add(ref c, i), Unsafe.Add(ref e, i));
            }
        });

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float source, int i) => Vector256.LoadUnsafe(ref source, (nuint)i);

    /// <summary>compute(scratch, n): inputs at scratch[k * Block], the output written at scratch[inputs * Block].</summary>
    private static void Run(CpuTensor y, CpuTensor[] inputs, Action<float[], int> compute) => Run(y, inputs, null, compute);

    /// <summary>
    /// As above; inputs marked in <paramref name="skip"/> are not read (a backward chain's unused leaf slots, bound
    /// to the gradient, which the chain's formula never looks at).
    /// </summary>
    private static void Run(CpuTensor y, CpuTensor[] inputs, bool[]? skip, Action<float[], int> compute)
    {
        int blocks = (y.Length + Block - 1) / Block;
        CpuParallel.For(blocks, Block, (inputs.Length + 1) * Block, (first, last, scratch) =>
        {
            for (int blockIndex = first; blockIndex < last; blockIndex++)
            {
                int start = blockIndex * Block, n = Math.Min(Block, y.Length - start);
                for (int k = 0; k < inputs.Length; k++)
                {
                    if (skip is null || !skip[k])
                    {
                        ReadWrapped(inputs[k], start, scratch.AsSpan(k * Block, n));
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
