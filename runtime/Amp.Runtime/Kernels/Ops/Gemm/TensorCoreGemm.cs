using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Amp;

/// <summary>
/// GEMM on tensor cores for BF16 or FP16 operands with FP32 accumulation: <c>mma.sync.aligned.m16n8k16</c>
/// through inline PTX. A group of 4 warps computes a 64 x 64 tile of C; each step stages a 64 x 32 slice of op(A)
/// and a 32 x 64 slice of op(B) in shared memory (zero outside the matrix, so any size works), then each warp
/// issues 2 x 4 mma per 16 columns of K over its 32 x 32 quarter. Operands are read as 16-bit patterns (FP16 views
/// are reinterpreted), so one kernel serves both types; <c>isBf16</c> picks the instruction.
/// Where inline PTX is unavailable (ILGPU's CPU accelerator) the same fragments go through an exact emulation of
/// the instruction built from warp shuffles, so the tiling and fragment layouts are tested without a GPU (with
/// 32-thread warps). C may be stored in any precision; the FP32 result is rounded once.
/// </summary>
internal static class TensorCoreGemm
{
    public const int TileM = 64;
    public const int TileN = 64;
    public const int TileK = 32;
    public const int GroupSize = 128;

    /// <summary>The launch: grid (ceil(N/64), ceil(M/64), batch) groups of 128 threads.</summary>
    public static KernelConfig Config(int m, int n, int batch) =>
        new(new Index3D((n + TileN - 1) / TileN, (m + TileM - 1) / TileM, batch), new Index3D(GroupSize, 1, 1));

    public static void Kernel<TC, SC>(ArrayView<ushort> a, ArrayView<ushort> b, ArrayView<TC> c, ArrayView<float> bias, GemmKernelArgs p, int isBf16, SC sc)
        where TC : unmanaged where SC : struct, IKernelStorage<TC>
    {
        ArrayView<ushort> aTile = SharedMemory.Allocate<ushort>(TileM * TileK);   // [m][k]
        ArrayView<ushort> bTile = SharedMemory.Allocate<ushort>(TileN * TileK);   // [n][k]: the "col" layout mma reads
        ArrayView<float> acc = LocalMemory.Allocate<float>(32);                    // 2 m-tiles x 4 n-tiles x 4 values

        int thread = Group.IdxX, warp = thread / 32, lane = thread % 32;
        int row0 = Grid.IdxY * TileM, col0 = Grid.IdxX * TileN;
        long aBase = Grid.IdxZ * p.StrideA, bBase = Grid.IdxZ * p.StrideB;
        int warpRow = (warp / 2) * 32, warpCol = (warp % 2) * 32;
        int groupId = lane / 4, inGroup = lane % 4;
        for (int i = 0; i < 32; i++)
        {
            acc[i] = 0f;
        }

        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            // Stage op(A)[row0.., k0..] and op(B)[k0.., col0..]: 2048 elements each, 16 per thread.
            for (int e = thread; e < TileM * TileK; e += GroupSize)
            {
                int m = e / TileK, k = e % TileK, gm = row0 + m, gk = k0 + k;
                aTile[e] = gm < p.M && gk < p.K ? a[aBase + (p.TransposeA != 0 ? ((long)gk * p.Lda) + gm : ((long)gm * p.Lda) + gk)] : (ushort)0;
                int n = e / TileK, gn = col0 + n;
                bTile[e] = gn < p.N && gk < p.K ? b[bBase + (p.TransposeB != 0 ? ((long)gn * p.Ldb) + gk : ((long)gk * p.Ldb) + gn)] : (ushort)0;
            }

            Group.Barrier();
            for (int kk = 0; kk < TileK; kk += 16)
            {
                for (int mi = 0; mi < 2; mi++)
                {
                    // A fragment (row-major 16 x 16): rows g and g + 8, columns 2t, 2t + 1 (+ 8).
                    int ra = warpRow + (mi * 16) + groupId, ka = kk + (2 * inGroup);
                    uint a0 = Pair(aTile, (ra * TileK) + ka), a1 = Pair(aTile, ((ra + 8) * TileK) + ka);
                    uint a2 = Pair(aTile, (ra * TileK) + ka + 8), a3 = Pair(aTile, ((ra + 8) * TileK) + ka + 8);
                    for (int ni = 0; ni < 4; ni++)
                    {
                        // B fragment (16 x 8, column-major): column g, rows 2t, 2t + 1 (+ 8).
                        int nb = warpCol + (ni * 8) + groupId;
                        uint b0 = Pair(bTile, (nb * TileK) + ka), b1 = Pair(bTile, (nb * TileK) + ka + 8);
                        int at = ((mi * 4) + ni) * 4;
                        float d0 = acc[at], d1 = acc[at + 1], d2 = acc[at + 2], d3 = acc[at + 3];
                        Mma(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1, isBf16, lane);
                        acc[at] = d0;
                        acc[at + 1] = d1;
                        acc[at + 2] = d2;
                        acc[at + 3] = d3;
                    }
                }
            }

            Group.Barrier();
        }

        Store(acc, c, bias, p, sc, row0 + warpRow, col0 + warpCol, groupId, inGroup);
    }

    /// <summary>
    /// Writes a warp's 32 x 32 quarter of C from its accumulators: the D fragment of each 16 x 8 tile, (g, 2t), (g, 2t + 1),
    /// (g + 8, 2t), (g + 8, 2t + 1) (m16n8k16's and m16n8k8's alike), with alpha, the bias and beta C, rounded once.
    /// </summary>
    internal static void Store<TC, SC>(ArrayView<float> acc, ArrayView<TC> c, ArrayView<float> bias, GemmKernelArgs p, SC sc, int row0, int col0, int groupId, int inGroup)
        where TC : unmanaged where SC : struct, IKernelStorage<TC>
    {
        long cBase = Grid.IdxZ * p.StrideC;
        for (int mi = 0; mi < 2; mi++)
        {
            for (int ni = 0; ni < 4; ni++)
            {
                for (int r = 0; r < 4; r++)
                {
                    int i = row0 + (mi * 16) + groupId + ((r / 2) * 8), j = col0 + (ni * 8) + (2 * inGroup) + (r % 2);
                    if (i < p.M && j < p.N)
                    {
                        long at = cBase + ((long)i * p.Ldc) + j;
                        float value = (p.Alpha * acc[(((mi * 4) + ni) * 4) + r]) + (p.HasBias != 0 ? bias[j] : 0f);
                        c[at] = sc.FromFloat(p.Beta != 0f ? value + (p.Beta * sc.ToFloat(c[at])) : value);
                    }
                }
            }
        }
    }

    /// <summary>Two consecutive 16-bit values as one register, the lower index in the low half (as mma reads them).</summary>
    private static uint Pair(ArrayView<ushort> tile, int at) => tile[at] | ((uint)tile[at + 1] << 16);

    private static void Mma(ref float d0, ref float d1, ref float d2, ref float d3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int isBf16, int lane)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> r0 = d0, r1 = d1, r2 = d2, r3 = d3;
            Input<uint> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            if (isBf16 != 0)
            {
                CudaAsm.EmitRef(
                    "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                    ref r0, ref r1, ref r2, ref r3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            }
            else
            {
                CudaAsm.EmitRef(
                    "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                    ref r0, ref r1, ref r2, ref r3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            }

            d0 = r0.Value;
            d1 = r1.Value;
            d2 = r2.Value;
            d3 = r3.Value;
            return;
        }

        Emulate(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1, isBf16, lane);
    }

    /// <summary>
    /// What the instruction computes, lane by lane: D[r][n] += sum over k of A[r][k] B[k][n] for the lane's four
    /// (r, n), fetching each A and B element from the lane that holds it (the fragment layout above), products
    /// and sums in FP32.
    /// </summary>
    private static void Emulate(ref float d0, ref float d1, ref float d2, ref float d3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int isBf16, int lane)
    {
        int groupId = lane / 4, inGroup = lane % 4;
        for (int k = 0; k < 16; k++)
        {
            int holder = (k % 8) / 2, half = k % 2;
            uint rowLow = Warp.Shuffle(k < 8 ? a0 : a2, (groupId * 4) + holder);
            uint rowHigh = Warp.Shuffle(k < 8 ? a1 : a3, (groupId * 4) + holder);
            uint col0 = Warp.Shuffle(k < 8 ? b0 : b1, (2 * inGroup * 4) + holder);
            uint col1 = Warp.Shuffle(k < 8 ? b0 : b1, (((2 * inGroup) + 1) * 4) + holder);
            float x = Widen(rowLow, half, isBf16), y = Widen(rowHigh, half, isBf16);
            float u = Widen(col0, half, isBf16), v = Widen(col1, half, isBf16);
            d0 += x * u;
            d1 += x * v;
            d2 += y * u;
            d3 += y * v;
        }
    }

    private static float Widen(uint pair, int half, int isBf16)
    {
        uint bits = half == 0 ? pair & 0xFFFF : pair >> 16;
        return isBf16 != 0 ? Interop.IntAsFloat(bits << 16) : Interop.IntAsFloat(HalfBits.ToFloatBits((ushort)bits));
    }
}
