using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Amp;

/// <summary>
/// GEMM on tensor cores for FP32 operands under TF32 (<c>GemmOptions.Tf32</c>): <c>mma.sync.aligned.m16n8k8</c> with
/// <c>.tf32</c> operands and FP32 accumulation. The tiling is <see cref="TensorCoreGemm"/>'s (4 warps, a 64 x 64 tile of
/// C, 32-deep slices of op(A) and op(B) staged in shared memory); staging rounds each FP32 operand to TF32 with the
/// rounding <c>cvt.rna.tf32.f32</c> performs (<see cref="Tf32.RoundBits"/>), so the tensor cores, the SIMT kernel and the
/// Cpu GEMM multiply the same values. Fragments of m16n8k8.tf32 (PTX ISA): A a0 (g, t), a1 (g + 8, t), a2 (g, t + 4),
/// a3 (g + 8, t + 4); B b0 (t, g), b1 (t + 4, g); C as m16n8k16's; g = lane / 4, t = lane % 4. Without inline PTX
/// (ILGPU's CPU accelerator) the instruction runs through an exact emulation built from warp shuffles.
/// </summary>
internal static class TensorCoreGemmTf32
{
    private const int TileM = TensorCoreGemm.TileM, TileN = TensorCoreGemm.TileN, TileK = TensorCoreGemm.TileK, GroupSize = TensorCoreGemm.GroupSize;

    public static void Kernel<TC, SC>(ArrayView<float> a, ArrayView<float> b, ArrayView<TC> c, ArrayView<float> bias, GemmKernelArgs p, SC sc)
        where TC : unmanaged where SC : struct, IKernelStorage<TC>
    {
        ArrayView<uint> aTile = SharedMemory.Allocate<uint>(TileM * TileK);   // [m][k], TF32 bit patterns
        ArrayView<uint> bTile = SharedMemory.Allocate<uint>(TileN * TileK);   // [n][k]
        ArrayView<float> acc = LocalMemory.Allocate<float>(32);                // 2 m-tiles x 4 n-tiles x 4 values

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
            for (int e = thread; e < TileM * TileK; e += GroupSize)
            {
                int m = e / TileK, k = e % TileK, gm = row0 + m, gk = k0 + k;
                aTile[e] = gm < p.M && gk < p.K ? Tf32.RoundBits(Interop.FloatAsInt(a[aBase + (p.TransposeA != 0 ? ((long)gk * p.Lda) + gm : ((long)gm * p.Lda) + gk)])) : 0u;
                int n = e / TileK, gn = col0 + n;
                bTile[e] = gn < p.N && gk < p.K ? Tf32.RoundBits(Interop.FloatAsInt(b[bBase + (p.TransposeB != 0 ? ((long)gn * p.Ldb) + gk : ((long)gk * p.Ldb) + gn)])) : 0u;
            }

            Group.Barrier();
            for (int kk = 0; kk < TileK; kk += 8)
            {
                for (int mi = 0; mi < 2; mi++)
                {
                    int ra = warpRow + (mi * 16) + groupId, ka = kk + inGroup;
                    uint a0 = aTile[(ra * TileK) + ka], a1 = aTile[((ra + 8) * TileK) + ka];
                    uint a2 = aTile[(ra * TileK) + ka + 4], a3 = aTile[((ra + 8) * TileK) + ka + 4];
                    for (int ni = 0; ni < 4; ni++)
                    {
                        int nb = warpCol + (ni * 8) + groupId;
                        uint b0 = bTile[(nb * TileK) + ka], b1 = bTile[(nb * TileK) + ka + 4];
                        int at = ((mi * 4) + ni) * 4;
                        float d0 = acc[at], d1 = acc[at + 1], d2 = acc[at + 2], d3 = acc[at + 3];
                        Mma(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1, lane);
                        acc[at] = d0;
                        acc[at + 1] = d1;
                        acc[at + 2] = d2;
                        acc[at + 3] = d3;
                    }
                }
            }

            Group.Barrier();
        }

        TensorCoreGemm.Store(acc, c, bias, p, sc, row0 + warpRow, col0 + warpCol, groupId, inGroup);
    }

    private static void Mma(ref float d0, ref float d1, ref float d2, ref float d3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int lane)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> r0 = d0, r1 = d1, r2 = d2, r3 = d3;
            Input<uint> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                ref r0, ref r1, ref r2, ref r3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            d0 = r0.Value;
            d1 = r1.Value;
            d2 = r2.Value;
            d3 = r3.Value;
            return;
        }

        Emulate(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1, lane);
    }

    /// <summary>
    /// The instruction lane by lane: D[r][n] += sum over k &lt; 8 of A[r][k] B[k][n], each element fetched from the lane
    /// that holds it — A[r][k] from lane (r mod 8) * 4 + k mod 4 (a0/a1 for k &lt; 4, a2/a3 above), B[k][n] from lane
    /// n * 4 + k mod 4 (b0 for k &lt; 4, b1 above) — products and sums in FP32.
    /// </summary>
    private static void Emulate(ref float d0, ref float d1, ref float d2, ref float d3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int lane)
    {
        int groupId = lane / 4, inGroup = lane % 4;
        for (int k = 0; k < 8; k++)
        {
            int holder = k % 4;
            float x = Interop.IntAsFloat(Warp.Shuffle(k < 4 ? a0 : a2, (groupId * 4) + holder));
            float y = Interop.IntAsFloat(Warp.Shuffle(k < 4 ? a1 : a3, (groupId * 4) + holder));
            float u = Interop.IntAsFloat(Warp.Shuffle(k < 4 ? b0 : b1, (2 * inGroup * 4) + holder));
            float v = Interop.IntAsFloat(Warp.Shuffle(k < 4 ? b0 : b1, (((2 * inGroup) + 1) * 4) + holder));
            d0 += x * u;
            d1 += x * v;
            d2 += y * u;
            d3 += y * v;
        }
    }
}
