namespace Amp;

// Pooling on Cpu: one plane (an image channel) per work item, rows read and written through FP32.
internal sealed partial class CpuDevice
{
    private protected override void Pool2dCore(DeviceTensor x, DeviceTensor y, PoolWindow p)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int plane = p.H * p.W, outPlane = p.OutH * p.OutW;
        CpuParallel.For(p.Planes, plane * 2L, plane + outPlane, (start, end, scratch) =>
        {
            Span<float> input = scratch.AsSpan(0, plane), output = scratch.AsSpan(plane, outPlane);
            for (int q = start; q < end; q++)
            {
                cx.Read(q * plane, input);
                for (int i = 0; i < p.OutH; i++)
                {
                    for (int j = 0; j < p.OutW; j++)
                    {
                        output[(i * p.OutW) + j] = p.Max ? input[p.ArgMax(input, i, j)] : Mean(input, p, i, j);
                    }
                }

                cy.Write(q * outPlane, output);
            }
        });
    }

    private static float Mean(ReadOnlySpan<float> plane, in PoolWindow p, int i, int j)
    {
        float sum = 0;
        for (int u = 0; u < p.KernelH; u++)
        {
            sum += VectorMath.Sum(plane.Slice((((i * p.StrideH) + u) * p.W) + (j * p.StrideW), p.KernelW));
        }

        return sum / (p.KernelH * p.KernelW);
    }

    private protected override void Pool2dBackwardCore(DeviceTensor x, DeviceTensor dy, DeviceTensor dx, PoolWindow p)
    {
        var cx = (CpuTensor)x;
        using Fp32Elements gy = new(dy), gx = new(dx, accumulate: true);
        float[] g = gy.Values, d = gx.Values;
        int plane = p.H * p.W, outPlane = p.OutH * p.OutW;
        float share = 1f / (p.KernelH * p.KernelW);
        CpuParallel.For(p.Planes, plane * 2L, plane, (start, end, scratch) =>
        {
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
