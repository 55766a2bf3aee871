using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amp;

// The step after backward: unscale-and-check, the squared norm for clipping, SGD and AdamW on FP32 masters with the cast-out.
internal sealed partial class CpuDevice
{
    private protected override double SquaredNormCore(DeviceTensor tensor)
    {
        float[] values = ((CpuTensor)tensor).As<float>();
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // FP32 squares summed per lane, flushed to FP64 every block so long tensors keep their precision.
            for (; i <= values.Length - Vector<float>.Count;)
            {
                Vector<float> acc = Vector<float>.Zero;
                int blockEnd = Math.Min(values.Length - Vector<float>.Count, i + (1024 * Vector<float>.Count));
                for (; i <= blockEnd; i += Vector<float>.Count)
                {
                    var v = new Vector<float>(values, i);
                    acc += v * v;
                }

                sum += Vector.Sum(acc);
            }
        }

        for (; i < values.Length; i++)
        {
            sum += (double)values[i] * values[i];
        }

        return sum;
    }

    private protected override bool UnscaleAndCheckCore(IReadOnlyList<DeviceTensor> gradients, float inverseScale)
    {
        // One pass over (buffer, chunk) pairs: the work list spans all buffers so small ones share threads.
        var work = new List<(float[] Data, int Offset, int Length)>();
        foreach (DeviceTensor g in gradients)
        {
            float[] data = ((CpuTensor)g).As<float>();
            for (int offset = 0; offset < data.Length; offset += ElementChunk)
            {
                work.Add((data, offset, Math.Min(ElementChunk, data.Length - offset)));
            }
        }

        int found = 0;
        CpuParallel.For(work.Count, ElementChunk, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, _) =>
        {
            bool local = false;
            for (int w = start; w < end; w++)
            {
                local |= UnscaleChunk(work[w].Data.AsSpan(work[w].Offset, work[w].Length), inverseScale);
            }

            if (local)
            {
                Volatile.Write(ref found, 1);
            }
        });
        return found != 0;
    }

    /// <summary>x *= inverseScale; returns whether any original element was inf or NaN (x - x is NaN exactly for those).</summary>
    private static bool UnscaleChunk(Span<float> x, float inverseScale)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        Vector256<float> nonFinite = Vector256<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            Vector256<float> v = Vector256.LoadUnsafe(ref r, (nuint)i);
            Vector256<float> d = v - v;
            nonFinite |= ~Vector256.Equals(d, d);
            (v * inverseScale).StoreUnsafe(ref r, (nuint)i);
        }

        bool found = nonFinite != Vector256<float>.Zero;
        for (; i < x.Length; i++)
        {
            found |= !float.IsFinite(x[i]);
            x[i] *= inverseScale;
        }

        return found;
    }

    private protected override void SgdStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor? momentumBuffer, DeviceTensor? working, SgdHyperparameters hyper, int step)
    {
        float[] p = ((CpuTensor)master).As<float>();
        float[] g = ((CpuTensor)gradient).As<float>();
        float[]? buf = ((CpuTensor?)momentumBuffer)?.As<float>();
        var w = (CpuTensor?)working;
        SgdStepScalars s = SgdStepScalars.From(hyper, step);
        ForChunks(p.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (offset, length) =>
        {
            Span<float> pc = p.AsSpan(offset, length);
            ReadOnlySpan<float> gc = g.AsSpan(offset, length);
            // Without momentum the buffer is never read; a scratch span keeps one loop body for both cases.
            Span<float> bc = buf is null ? stackalloc float[length] : buf.AsSpan(offset, length);
            ref float rp = ref MemoryMarshal.GetReference(pc);
            ref float rg = ref MemoryMarshal.GetReference(gc);
            ref float rb = ref MemoryMarshal.GetReference(bc);
            int i = 0;
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> b = Vector256.LoadUnsafe(ref rb, (nuint)i);
                OptimizerMath.Sgd(Vector256.LoadUnsafe(ref rp, (nuint)i), Vector256.LoadUnsafe(ref rg, (nuint)i), ref b, s)
                    .StoreUnsafe(ref rp, (nuint)i);
                b.StoreUnsafe(ref rb, (nuint)i);
            }

            for (; i < length; i++)
            {
                pc[i] = OptimizerMath.Sgd(pc[i], gc[i], ref bc[i], s);
            }

            w?.Write(offset, pc);
        });
    }

    private protected override void AdamWStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor m, DeviceTensor v, DeviceTensor? working, AdamWStepScalars s)
    {
        float[] p = ((CpuTensor)master).As<float>();
        float[] g = ((CpuTensor)gradient).As<float>();
        float[] m1 = ((CpuTensor)m).As<float>();
        float[] m2 = ((CpuTensor)v).As<float>();
        var w = (CpuTensor?)working;
        ForChunks(p.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (offset, length) =>
        {
            Span<float> pc = p.AsSpan(offset, length);
            ReadOnlySpan<float> gc = g.AsSpan(offset, length);
            Span<float> mc = m1.AsSpan(offset, length);
            Span<float> vc = m2.AsSpan(offset, length);
            ref float rp = ref MemoryMarshal.GetReference(pc);
            ref float rg = ref MemoryMarshal.GetReference(gc);
            ref float rm = ref MemoryMarshal.GetReference(mc);
            ref float rv = ref MemoryMarshal.GetReference(vc);
            int i = 0;
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> mv = Vector256.LoadUnsafe(ref rm, (nuint)i);
                Vector256<float> vv = Vector256.LoadUnsafe(ref rv, (nuint)i);
                OptimizerMath.AdamW(Vector256.LoadUnsafe(ref rp, (nuint)i), Vector256.LoadUnsafe(ref rg, (nuint)i), ref mv, ref vv, s)
                    .StoreUnsafe(ref rp, (nuint)i);
                mv.StoreUnsafe(ref rm, (nuint)i);
                vv.StoreUnsafe(ref rv, (nuint)i);
            }

            for (; i < length; i++)
            {
                pc[i] = OptimizerMath.AdamW(pc[i], gc[i], ref mc[i], ref vc[i], s);
            }

            w?.Write(offset, pc);
        });
    }

    private delegate void ChunkBody(int offset, int length);

    private static void ForChunks(int n, ChunkBody body)
    {
        int chunks = (n + ElementChunk - 1) / ElementChunk;
        CpuParallel.For(chunks, ElementChunk, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, _) =>
        {
            for (int c = start; c < end; c++)
            {
                int offset = c * ElementChunk;
                body(offset, Math.Min(ElementChunk, n - offset));
            }
        });
    }
}
