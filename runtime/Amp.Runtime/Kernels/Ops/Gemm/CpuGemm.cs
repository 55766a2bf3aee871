using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

/// <summary>
/// Cpu GEMM, BLIS style: C is cut into Nc-wide column blocks (split further by rows only as far as the
/// cores need, and over k when C alone cannot feed them) that threads take independently; for each the k dimension is
/// walked in Kc blocks, the op(B) block is packed once and every Mc x Kc op(A) block against it (both converted to FP32
/// while packing), and the micro-kernel (6 x 32 with AVX-512, else 6 x 16) accumulates into a per-thread FP32 block. The
/// epilogue then applies alpha, beta * C and the bias and rounds once into C's storage precision, so low-precision
/// outputs see one rounding of an FP32 sum, never a low-precision partial sum. An FP32 C with nothing to apply and k in
/// one block takes its whole tiles straight from the micro-kernel.
/// </summary>
internal static unsafe class CpuGemm
{
    internal const int Mc = 96;    // 16 micro-panels of 6 rows: packed A block 96 x 256 x 4 B = 96 KiB (L2)
    internal const int Nc = 256;   // 16 micro-panels of 16 columns: packed B block 256 x 256 x 4 B = 256 KiB (L2)
    internal const int Kc = 256;   // one B micro-panel (256 x 16 x 4 B = 16 KiB) stays in L1 across the A panels

    /// <summary>
    /// The most Mc row tiles one work item accumulates (3,072 rows: a 3 MiB FP32 block). Bounds each thread's
    /// workspace whatever the batch: 17 M rows once asked for a block past 2^31 bytes, which overflowed an int and
    /// corrupted the heap, and a large batch's block stayed allocated for the life of the process.
    /// </summary>
    internal const int MaxTilesPerItem = 32;

    /// <summary>The row scratch of packing: up to 16 source rows of Kc converted to FP32 (a transposed B panel), at least one row of Nc.</summary>
    internal const int RunFloats = 16 * Kc > Nc ? 16 * Kc : Nc;

    /// <summary>Whether whole tiles of an FP32 C are accumulated in C itself (AMP_CPU_DIRECT_C=0 sends all through the block).</summary>
    internal static bool DirectCEnabled { get; set; } = Environment.GetEnvironmentVariable("AMP_CPU_DIRECT_C") != "0";

    /// <summary>Whether the 512-bit kernel reads an A stored [m, k] by rows (AMP_CPU_DIRECT_A=0 packs it as before).</summary>
    internal static bool DirectAEnabled { get; set; } = Environment.GetEnvironmentVariable("AMP_CPU_DIRECT_A") != "0";

    /// <summary>Below this many flops one thread does it all: thread hand-off costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// The GEMM with op(B) packed by <paramref name="source"/>: a stored matrix (<see cref="DenseB{TB}"/>), or an implicit
    /// operand (a convolution's columns gathered straight from the image) that costs no buffer and no extra pass over memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TA, TSource, TC>(in GemmProblem p, TA[] a, TSource source, TC[] c, float[]? bias)
        where TA : unmanaged
        where TSource : struct, IPackedB
        where TC : unmanaged
    {
        // Work items are (batch entry, Nc column block, run of Mc row blocks). Each item packs every B
        // block once and reuses it for all its row blocks; the row blocks are split only as far as needed
        // to give every core work.
        int tilesM = (p.M + Mc - 1) / Mc;
        int tilesN = (p.N + Nc - 1) / Nc;
        int columnItems = p.Batch * tilesN;
        int threads = p.Flops < ParallelThreshold ? 1 : Environment.ProcessorCount;
        // Two items per core balance the load; on one core a split would only pack each B block again.
        int perCore = threads == 1 ? 1 : 2 * threads;
        int splitsM = Math.Clamp((perCore + columnItems - 1) / columnItems, 1, tilesM);
        splitsM = Math.Max(splitsM, (tilesM + MaxTilesPerItem - 1) / MaxTilesPerItem);
        long itemCount = (long)columnItems * splitsM;
        if (itemCount > int.MaxValue)
        {
            throw new ArgumentException($"A GEMM of {p.Batch} x {p.M} x {p.N} has more work items than one run can schedule.");
        }

        int splitsK = SplitsK(p, threads, (int)itemCount);
        var layout = new ItemLayout(tilesM, tilesN, splitsM, splitsK, (int)itemCount);
        int items = (int)itemCount * splitsK;
        GemmProblem problem = p;
        float[]? partials = splitsK > 1 ? System.Buffers.ArrayPool<float>.Shared.Rent(PartialFloats(p, splitsK) + p.N) : null;
        try
        {
            fixed (TA* pa = a)
            fixed (TC* pc = c)
            fixed (float* pbias = bias)
            fixed (float* ppartials = partials)
            {
                var args = new Pointers<TA, TSource, TC>(pa, source, pc, pbias, ppartials);
                if (threads == 1 || items == 1)
                {
                    for (int t = 0; t < items; t++)
                    {
                        Item(problem, args, layout, t);
                    }
                }
                else
                {
                    CpuWorkers.For(items, t => Item(problem, args, layout, t));
                }

                if (splitsK > 1)
                {
                    ReducePartials(problem, args, splitsK);
                }
            }
        }
        finally
        {
            if (partials is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(partials);
            }
        }
    }

    /// <summary>The most FP32 partial sums a split-k product keeps (4 MiB): a weight gradient's C is small.</summary>
    private const int MaxPartialFloats = 1 << 20;

    private static int PartialFloats(in GemmProblem p, int splitsK) => splitsK * p.Batch * p.M * p.N;

    /// <summary>
    /// How many ranges of k the product is cut into: more than one only when C has fewer work items than there are
    /// cores and k is long, the shape of a weight gradient (a convolution's dW is 16 x 144 summed over 50,176 pixels of
    /// the batch; without the split one core did all of it). Each range accumulates its own FP32 partial C, summed in
    /// range order afterwards (deterministic for a given core count).
    /// </summary>
    internal static int SplitsK(in GemmProblem p, int threads, int items)
    {
        int kBlocks = (p.K + Kc - 1) / Kc;
        if (threads == 1 || items >= threads || kBlocks < 4)
        {
            return 1;
        }

        int splits = Math.Min((threads + items - 1) / items, kBlocks / 2);
        return splits > 1 && (long)splits * p.Batch * p.M * p.N <= MaxPartialFloats ? splits : 1;
    }

    /// <summary>C = epilogue(sum of the k ranges' partial products), row by row, ranges added in order.</summary>
    private static void ReducePartials<TA, TSource, TC>(in GemmProblem p, in Pointers<TA, TSource, TC> ptr, int splitsK)
        where TA : unmanaged
        where TSource : struct, IPackedB
        where TC : unmanaged
    {
        long partial = (long)p.Batch * p.M * p.N;
        float* old = ptr.Partials + (splitsK * partial);   // the epilogue's row of old C, after the partials
        for (int batch = 0; batch < p.Batch; batch++)
        {
            for (int i = 0; i < p.M; i++)
            {
                float* row = ptr.Partials + (((long)batch * p.M) + i) * p.N;
                for (int s = 1; s < splitsK; s++)
                {
                    AddScaled(new Span<float>(row, p.N), new ReadOnlySpan<float>(row + (s * partial), p.N), 1f);
                }

                Epilogue(p, new Span<float>(row, p.N), new Span<TC>(ptr.C + (batch * p.StrideC) + ((long)i * p.Ldc), p.N),
                    ptr.Bias == null ? default : new ReadOnlySpan<float>(ptr.Bias, p.N), new Span<float>(old, p.N));
            }
        }
    }

    /// <summary>How work items map onto C: per k range, (batch entry, Nc column block) x runs of Mc row blocks.</summary>
    private readonly record struct ItemLayout(int TilesM, int TilesN, int SplitsM, int SplitsK, int ItemsPerK);

    /// <summary>op(B) of a stored matrix (batch entries StrideB apart; 0 shares it), pinned by the caller: packed by <see cref="CpuGemmPacking.PackB"/>.</summary>
    internal readonly struct DenseB<TB>(TB* b, int ldb, bool transposed, long stride) : IPackedB
        where TB : unmanaged
    {
        public bool IsFp32 => typeof(TB) == typeof(float);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Pack(int batch, int p0, int j0, int kc, int nc, float* packed, float* run) =>
            CpuGemmPacking.PackB(b + (batch * stride), ldb, transposed, p0, j0, kc, nc, packed, run);
    }

    private readonly struct Pointers<TA, TSource, TC>(TA* a, TSource b, TC* c, float* bias, float* partials)
        where TA : unmanaged
        where TSource : struct, IPackedB
        where TC : unmanaged
    {
        public readonly TA* A = a;
        public readonly TSource B = b;
        public readonly TC* C = c;
        public readonly float* Bias = bias;

        /// <summary>Split k: the k ranges' FP32 partial C, range after range ([SplitsK, Batch, M, N]); else null.</summary>
        public readonly float* Partials = partials;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item<TA, TSource, TC>(in GemmProblem p, in Pointers<TA, TSource, TC> ptr, ItemLayout layout, int item)
        where TA : unmanaged
        where TSource : struct, IPackedB
        where TC : unmanaged
    {
        int kRange = item / layout.ItemsPerK;
        item %= layout.ItemsPerK;
        int split = item % layout.SplitsM;
        int column = item / layout.SplitsM;
        int batch = column / layout.TilesN;
        int j0 = column % layout.TilesN * Nc;
        int firstTile = (int)((long)layout.TilesM * split / layout.SplitsM);
        int endTile = (int)((long)layout.TilesM * (split + 1) / layout.SplitsM);
        int iStart = firstTile * Mc;
        int iEnd = Math.Min(p.M, endTile * Mc);
        int nc = Math.Min(Nc, p.N - j0);
        TA* a = ptr.A + (batch * p.StrideA);
        Workspace ws = Workspace.Current;
        float* block = ws.Block((endTile - firstTile) * Mc * Nc);
        int panelsN = (nc + CpuGemmMicroKernel.Nr - 1) / CpuGemmMicroKernel.Nr;

        // When k fits one block, full 6-row tiles of an FP32 C with nothing to apply after the sum (alpha 1, no bias,
        // beta 0 or 1) are written to C itself: no copy out of the block, and beta's old C is where the sum starts. Edge
        // tiles (a last panel of fewer than 6 rows or 16/32 columns) go through the block as before. With several k
        // blocks the partial sums stay in the block (in cache) instead: C would be read and written once per k block.
        bool direct = DirectCEnabled && typeof(TC) == typeof(float) && p.Alpha == 1f && (p.Beta == 0f || p.Beta == 1f)
            && ptr.Bias == null && layout.SplitsK == 1 && p.K <= Kc;
        float* directC = (float*)(ptr.C + (batch * p.StrideC));
        int directCols = direct ? DirectColumns(nc, panelsN) : 0;

        int kBlocks = (p.K + Kc - 1) / Kc;
        int kFirst = (int)((long)kBlocks * kRange / layout.SplitsK) * Kc;
        int kEnd = Math.Min(p.K, (int)((long)kBlocks * (kRange + 1) / layout.SplitsK) * Kc);
        for (int p0 = kFirst; p0 < kEnd; p0 += Kc)
        {
            int kc = Math.Min(Kc, kEnd - p0);
            ptr.B.Pack(batch, p0, j0, kc, nc, ws.PackedB, ws.Run);
            if (p.Tf32 && ptr.B.IsFp32)
            {
                Tf32.Round(new Span<float>(ws.PackedB, panelsN * kc * CpuGemmMicroKernel.Nr));
            }

            // An op(A) stored [m, k] is read by rows by the 512-bit kernel when every B panel goes through it (an even
            // count): FP32 in place, BF16/FP16 widened row by row into the packing buffer (one vectorised pass instead of
            // a transposing pack); only a last panel of fewer than 6 rows is packed. TF32 rounds while packing.
            bool byRows = DirectAEnabled && !p.TransposeA && !p.Tf32 && CpuGemmMicroKernel512.Enabled && panelsN % 2 == 0;
            for (int i0 = iStart; i0 < iEnd; i0 += Mc)
            {
                int mc = Math.Min(Mc, iEnd - i0);
                int panelsM = (mc + CpuGemmMicroKernel.Mr - 1) / CpuGemmMicroKernel.Mr;
                int fullPanelsM = direct ? mc / CpuGemmMicroKernel.Mr : 0;
                bool accumulateC = p0 > kFirst || p.Beta != 0f;
                float* tile = block + ((long)(i0 - iStart) * Nc);
                float* cTile = directC + ((long)i0 * p.Ldc) + j0;   // the same rows and columns of C itself
                APanels panels = byRows ? RowPanels(p, a, i0, p0, mc, kc, ws) : PackedPanels(p, a, i0, p0, mc, kc, ws);

                int jr = 0;
                if (CpuGemmMicroKernel512.Enabled)
                {
                    // Two neighbouring B panels at a time through the 512-bit kernel; an odd last panel goes below.
                    for (; jr + 1 < panelsN; jr += 2)
                    {
                        float* b0 = ws.PackedB + (jr * kc * CpuGemmMicroKernel.Nr);
                        bool fullColumns = (jr + 2) * CpuGemmMicroKernel.Nr <= directCols;
                        for (int ir = 0; ir < panelsM; ir++)
                        {
                            float* pa = panels.At(ir, kc, out long rowStride, out long kStride);
                            bool toC = fullColumns && ir < fullPanelsM;
                            int ld = toC ? p.Ldc : Nc;
                            CpuGemmMicroKernel512.Run(
                                pa, rowStride, kStride,
                                b0,
                                b0 + (kc * CpuGemmMicroKernel.Nr),
                                kc,
                                (toC ? cTile : tile) + ((long)ir * CpuGemmMicroKernel.Mr * ld) + (jr * CpuGemmMicroKernel.Nr),
                                ld,
                                accumulate: toC ? accumulateC : p0 > kFirst);
                        }
                    }
                }

                // The 256-bit kernel reads packed panels only: it runs when A was packed (panels read by rows mean an
                // even panel count, all taken above).
                for (; jr < panelsN; jr++)
                {
                    float* bPanel = ws.PackedB + (jr * kc * CpuGemmMicroKernel.Nr);
                    bool fullColumns = (jr + 1) * CpuGemmMicroKernel.Nr <= directCols;
                    for (int ir = 0; ir < panelsM; ir++)
                    {
                        bool toC = fullColumns && ir < fullPanelsM;
                        int ld = toC ? p.Ldc : Nc;
                        CpuGemmMicroKernel.Run(
                            ws.PackedA + (ir * kc * CpuGemmMicroKernel.Mr),
                            bPanel,
                            kc,
                            (toC ? cTile : tile) + ((long)ir * CpuGemmMicroKernel.Mr * ld) + (jr * CpuGemmMicroKernel.Nr),
                            ld,
                            accumulate: toC ? accumulateC : p0 > kFirst);
                    }
                }
            }
        }

        if (layout.SplitsK > 1)
        {
            // A k range's partial product: kept in FP32 for the reduction, which applies the epilogue once.
            float* partial = ptr.Partials + ((((long)kRange * p.Batch) + batch) * p.M * p.N) + j0;
            for (int i = iStart; i < iEnd; i++)
            {
                new Span<float>(block + ((long)(i - iStart) * Nc), nc).CopyTo(new Span<float>(partial + ((long)i * p.N), nc));
            }

            return;
        }

        // The epilogue for what went through the block: every column of the rows of a last partial panel (every Mc
        // tile but the item's last is a multiple of 6 rows), the columns right of the direct tiles in the others.
        TC* c = ptr.C + (batch * p.StrideC);
        int directRowsEnd = direct ? iEnd - ((iEnd - iStart) % CpuGemmMicroKernel.Mr) : iStart;
        for (int i = iStart; i < iEnd; i++)
        {
            int from = i < directRowsEnd ? directCols : 0;
            if (from < nc)
            {
                Epilogue(p, new Span<float>(block + ((long)(i - iStart) * Nc) + from, nc - from), new Span<TC>(c + ((long)i * p.Ldc) + j0 + from, nc - from),
                    ptr.Bias == null ? default : new ReadOnlySpan<float>(ptr.Bias + j0 + from, nc - from), new Span<float>(ws.Run, nc - from));
            }
        }
    }

    /// <summary>
    /// How many leading columns of an nc-wide block the micro-kernels cover with whole tiles, in the order they are run:
    /// pairs of 16-column panels through the 512-bit kernel, a last single panel through the 256-bit one.
    /// </summary>
    private static int DirectColumns(int nc, int panelsN)
    {
        int covered = 0, jr = 0;
        if (CpuGemmMicroKernel512.Enabled)
        {
            for (; jr + 1 < panelsN && (jr + 2) * CpuGemmMicroKernel.Nr <= nc; jr += 2)
            {
                covered = (jr + 2) * CpuGemmMicroKernel.Nr;
            }

            if (jr + 1 < panelsN)
            {
                return covered;   // a pair straddles the edge: it and everything after it go through the block
            }
        }

        for (; jr < panelsN && (jr + 1) * CpuGemmMicroKernel.Nr <= nc; jr++)
        {
            covered = (jr + 1) * CpuGemmMicroKernel.Nr;
        }

        return covered;
    }

    /// <summary>
    /// Where the micro-kernel finds the 6-row panels of one Mc x Kc block of op(A): the first <paramref name="full"/> as
    /// rows of an [m, k] matrix (<paramref name="rows"/>, row stride <paramref name="lda"/>), the rest packed
    /// (<paramref name="packed"/>, kc steps of 6 each).
    /// </summary>
    private readonly struct APanels(float* rows, long lda, int full, float* packed)
    {
        /// <summary>Panel <paramref name="ir"/>: its first element, with its row and k strides.</summary>
        public float* At(int ir, int kc, out long rowStride, out long kStride)
        {
            if (ir < full)
            {
                (rowStride, kStride) = (lda, 1);
                return rows + (ir * CpuGemmMicroKernel.Mr * lda);
            }

            (rowStride, kStride) = (1, CpuGemmMicroKernel.Mr);
            return packed + ((long)(ir - full) * kc * CpuGemmMicroKernel.Mr);
        }
    }

    /// <summary>The block packed (converted to FP32, TF32-rounded when asked) into the workspace: every panel packed.</summary>
    private static APanels PackedPanels<TA>(in GemmProblem p, TA* a, int i0, int p0, int mc, int kc, Workspace ws)
        where TA : unmanaged
    {
        CpuGemmPacking.PackA(a, p.Lda, p.TransposeA, i0, p0, mc, kc, ws.PackedA, ws.Run);
        if (p.Tf32 && typeof(TA) == typeof(float))
        {
            // TF32 emulated exactly: the packed FP32 operand rounded as cvt.rna.tf32.f32 would (zero padding stays zero).
            int panels = (mc + CpuGemmMicroKernel.Mr - 1) / CpuGemmMicroKernel.Mr;
            Tf32.Round(new Span<float>(ws.PackedA, panels * kc * CpuGemmMicroKernel.Mr));
        }

        return new APanels(null, 0, 0, ws.PackedA);
    }

    /// <summary>
    /// The block of an A stored [m, k] read by rows: an FP32 A in place, a BF16/FP16 A widened row by row into the
    /// packing buffer ([rows, kc]); a last panel of fewer than 6 rows is packed (zero rows) after those rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static APanels RowPanels<TA>(in GemmProblem p, TA* a, int i0, int p0, int mc, int kc, Workspace ws)
        where TA : unmanaged
    {
        int full = mc / CpuGemmMicroKernel.Mr, rest = mc - (full * CpuGemmMicroKernel.Mr);
        float* rows = ws.PackedA;
        long lda = kc;
        if (typeof(TA) == typeof(float))
        {
            rows = (float*)a + ((long)i0 * p.Lda) + p0;
            lda = p.Lda;
        }
        else if (p.Lda == kc)
        {
            // The block's rows are contiguous (k fits one block: attention's per-head products, a head's backward): one
            // conversion for all of them, not one call per short row.
            int count = full * CpuGemmMicroKernel.Mr * kc;
            HostStorage.ToFloats(new ReadOnlySpan<TA>(a + ((long)i0 * p.Lda), count), new Span<float>(ws.PackedA, count));
        }
        else
        {
            for (int r = 0; r < full * CpuGemmMicroKernel.Mr; r++)
            {
                HostStorage.ToFloats(new ReadOnlySpan<TA>(a + ((long)(i0 + r) * p.Lda) + p0, kc), new Span<float>(ws.PackedA + ((long)r * kc), kc));
            }
        }

        // The packed last panel sits after any widened rows (at most 90 rows of kc when there is one: room for 6 more).
        float* packed = typeof(TA) == typeof(float) ? ws.PackedA : ws.PackedA + ((long)full * CpuGemmMicroKernel.Mr * kc);
        if (rest > 0)
        {
            CpuGemmPacking.PackA(a, p.Lda, transposed: false, i0 + (full * CpuGemmMicroKernel.Mr), p0, rest, kc, packed, ws.Run);
        }

        return new APanels(rows, lda, full, packed);
    }

    /// <summary>row = alpha * row + beta * C + bias, then one rounding into C's precision.</summary>
    private static void Epilogue<TC>(in GemmProblem p, Span<float> row, Span<TC> c, ReadOnlySpan<float> bias, Span<float> old)
        where TC : unmanaged
    {
        if (p.Alpha != 1f)
        {
            Scale(row, p.Alpha);
        }

        if (p.Beta != 0f)
        {
            HostStorage.ToFloats<TC>(c, old);
            AddScaled(row, old, p.Beta);
        }

        if (!bias.IsEmpty)
        {
            AddScaled(row, bias, 1f);
        }

        HostStorage.FromFloats<TC>(row, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale(Span<float> x, float s)
    {
        int i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        for (; i <= x.Length - 8; i += 8)
        {
            (Vector256.LoadUnsafe(ref r, (nuint)i) * s).StoreUnsafe(ref r, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            x[i] *= s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(Span<float> x, ReadOnlySpan<float> y, float s)
    {
        int i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        ref float q = ref MemoryMarshal.GetReference(y);
        for (; i <= x.Length - 8; i += 8)
        {
            (Vector256.LoadUnsafe(ref r, (nuint)i) + (Vector256.LoadUnsafe(ref q, (nuint)i) * s)).StoreUnsafe(ref r, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            x[i] += y[i] * s;
        }
    }

    /// <summary>Bytes of GEMM workspace allocated now, over all threads (tests check the bound and the release).</summary>
    internal static long WorkspaceBytes => Workspace.AllocatedBytes;

    /// <summary>Workspaces allocated now (one per thread that ran a GEMM since the last release).</summary>
    internal static int WorkspaceCount => Workspace.Count;

    /// <summary>Frees every thread's workspace; a thread that runs a GEMM afterwards allocates a fresh one.</summary>
    internal static void ReleaseWorkspaces() => Workspace.ReleaseAll();

    /// <summary>
    /// Per-thread packing buffers and the FP32 tile, 64-byte aligned, allocated once per thread and bounded
    /// (<see cref="MaxTilesPerItem"/>). Every workspace is registered so the last Cpu device's Dispose can free them
    /// all; a generation number retires a thread's stale reference.
    /// </summary>
    private sealed class Workspace
    {
        private static readonly List<Workspace> All = [];
        private static int generation;
        private static long allocated;

        [ThreadStatic]
        private static Workspace? current;

        private readonly int born;
        private float* block;
        private long blockLength;

        private Workspace()
        {
            born = generation;
            PackedA = Alloc(Mc * Kc);
            PackedB = Alloc(Kc * Nc);
            Run = Alloc(RunFloats);
        }

        public static long AllocatedBytes => Interlocked.Read(ref allocated);

        public static int Count
        {
            get
            {
                lock (All)
                {
                    return All.Count;
                }
            }
        }

        public static Workspace Current
        {
            get
            {
                if (current is { } ws && ws.born == Volatile.Read(ref generation))
                {
                    return ws;
                }

                lock (All)
                {
                    current = new Workspace();
                    All.Add(current);
                    return current;
                }
            }
        }

        public float* PackedA { get; private set; }

        public float* PackedB { get; private set; }

        /// <summary>
        /// Rows converted to FP32 before packing: up to 16 rows of Kc (a transposed B panel's columns), and at least one
        /// row of Nc (a B row, an epilogue row).
        /// </summary>
        public float* Run { get; private set; }

        /// <summary>The FP32 accumulators of one work item (at most MaxTilesPerItem x Mc rows x Nc), grown on demand.</summary>
        public float* Block(int floats)
        {
            if (floats > blockLength)
            {
                Free(block, blockLength);
                block = Alloc(floats);
                blockLength = floats;
            }

            return block;
        }

        public static void ReleaseAll()
        {
            lock (All)
            {
                Interlocked.Increment(ref generation);
                foreach (Workspace ws in All)
                {
                    Free(ws.PackedA, Mc * Kc);
                    Free(ws.PackedB, Kc * Nc);
                    Free(ws.Run, RunFloats);
                    Free(ws.block, ws.blockLength);
                    ws.PackedA = ws.PackedB = ws.Run = ws.block = null;
                    ws.blockLength = 0;
                }

                All.Clear();
            }
        }

        private static float* Alloc(long floats)
        {
            Interlocked.Add(ref allocated, floats * sizeof(float));
            return (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
        }

        private static void Free(float* memory, long floats)
        {
            if (memory != null)
            {
                NativeMemory.AlignedFree(memory);
                Interlocked.Add(ref allocated, -floats * sizeof(float));
            }
        }
    }
}
