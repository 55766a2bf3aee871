using System.Runtime.CompilerServices;
namespace Amp;

// Pooling on Cpu: one plane (an image channel) per work item, rows read and written through FP32; the forward reduces
// a window's rows with vector max/add along whole rows, then its columns.
internal sealed partial class CpuDevice
{
    private protected override void Pool2dCore(DeviceTensor x, DeviceTensor y, PoolWindow p)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int plane = p.H * p.W, outPlane = p.OutH * p.OutW;
        float share = 1f / (p.KernelH * p.KernelW);
        PoolWindow window = p;
        CpuParallel.For(p.Planes, plane * 2L, plane + outPlane + p.W, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            Span<float> input = scratch.AsSpan(0, plane), output = scratch.AsSpan(plane, outPlane), column = scratch.AsSpan(plane + outPlane, window.W);
            for (int q = start; q < end; q++)
            {
                cx.Read(q * plane, input);
                for (int i = 0; i < window.OutH; i++)
                {
                    // The window's rows reduced first, vectorised along the whole row; then each window's columns.
                    input.Slice(i * window.StrideH * window.W, window.W).CopyTo(column);
                    for (int u = 1; u < window.KernelH; u++)
                    {
                        ReadOnlySpan<float> row = input.Slice(((i * window.StrideH) + u) * window.W, window.W);
                        if (window.Max)
                        {
                            VectorMath.MaxInPlace(column, row);
                        }
                        else
                        {
                            VectorMath.Axpy(column, row, 1f);
                        }
                    }

                    Span<float> outputRow = output.Slice(i * window.OutW, window.OutW);
                    if (window.Max)
                    {
                        for (int j = 0; j < outputRow.Length; j++)
                        {
                            ReadOnlySpan<float> cells = column.Slice(j * window.StrideW, window.KernelW);
                            float value = cells[0];
                            for (int v = 1; v < cells.Length; v++)
                            {
                                value = VectorMath.MaxOrNaN(value, cells[v]);
                            }

                            outputRow[j] = value;
                        }
                    }
                    else
                    {
                        for (int j = 0; j < outputRow.Length; j++)
                        {
                            outputRow[j] = VectorMath.Sum(column.Slice(j * window.StrideW, window.KernelW)) * share;
                        }
                    }
                }

                cy.Write(q * outPlane, output);
            }
        });
    }

    private protected override void Pool2dBackwardCore(DeviceTensor x, DeviceTensor dy, DeviceTensor dx, PoolWindow p)
    {
        var cx = (CpuTensor)x;
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        int plane = p.H * p.W, outPlane = p.OutH * p.OutW;
        float share = 1f / (p.KernelH * p.KernelW);
        PoolWindow shared = p;
        CpuParallel.For(p.Planes, plane * 2L, plane, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end, scratch) =>
        {
            PoolWindow p = shared;   // a local copy: the window's fields stay in registers, not behind the closure
            Span<float> input = scratch.AsSpan(0, plane);
            for (int q = start; q < end; q++)
            {
                if (p.Max)
                {
                    cx.Read(q * plane, input);
                }

                Span<float> dPlane = d.AsSpan(q * plane, plane);
                for (int i = 0; i < p.OutH; i++)
                {
                    for (int j = 0; j < p.OutW; j++)
                    {
                        float grad = g[(q * outPlane) + (i * p.OutW) + j];
                        if (p.Max)
                        {
                            dPlane[p.ArgMax(input, i, j)] += grad;
                            continue;
                        }

                        for (int u = 0; u < p.KernelH; u++)
                        {
                            VectorMath.AddScalar(dPlane.Slice((((i * p.StrideH) + u) * p.W) + (j * p.StrideW), p.KernelW), grad * share);
                        }
                    }
                }
            }
        });
    }
}
