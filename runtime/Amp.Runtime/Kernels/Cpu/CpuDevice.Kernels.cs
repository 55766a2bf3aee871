namespace Amp;

internal sealed partial class CpuDevice
{
    private const int ElementChunk = 4096;

    private protected override void GemmCore(GemmProblem problem, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        float[]? bias = options.Bias?.ToArray();
        var ca = (CpuTensor)a;
        switch (ca.Precision)
        {
            case Precision.Fp32: GemmB(problem, ca.As<float>(), (CpuTensor)b, (CpuTensor)c, bias); break;
            case Precision.Bf16: GemmB(problem, ca.As<Bf16>(), (CpuTensor)b, (CpuTensor)c, bias); break;
            default: GemmB(problem, ca.As<Half>(), (CpuTensor)b, (CpuTensor)c, bias); break;
        }
    }

    private static void GemmB<TA>(in GemmProblem p, TA[] a, CpuTensor b, CpuTensor c, float[]? bias)
        where TA : unmanaged
    {
        switch (b.Precision)
        {
            case Precision.Fp32: GemmC(p, a, b.As<float>(), c, bias); break;
            case Precision.Bf16: GemmC(p, a, b.As<Bf16>(), c, bias); break;
            default: GemmC(p, a, b.As<Half>(), c, bias); break;
        }
    }

    private static void GemmC<TA, TB>(in GemmProblem p, TA[] a, TB[] b, CpuTensor c, float[]? bias)
        where TA : unmanaged
        where TB : unmanaged
    {
        switch (c.Precision)
        {
            case Precision.Fp32: CpuGemm.Run(p, a, b, c.As<float>(), bias); break;
            case Precision.Bf16: CpuGemm.Run(p, a, b, c.As<Bf16>(), bias); break;
            default: CpuGemm.Run(p, a, b, c.As<Half>(), bias); break;
        }
    }

    private protected override void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction)
    {
        var cx = (CpuTensor)x;
        var cr = (CpuTensor)result;
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, cols + 1, (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            Span<float> value = scratch.AsSpan(cols, 1);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                value[0] = reduction switch
                {
                    RowReduction.Sum => VectorMath.Sum(row),
                    RowReduction.Mean => VectorMath.Sum(row) / cols,
                    _ => VectorMath.Max(row),
                };
                cr.Write(r, value);
            }
        });
    }

    private protected override void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log)
    {
        var cx = (CpuTensor)x;
        var cy = (CpuTensor)y;
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, 2 * cols, (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            Span<float> exps = scratch.AsSpan(cols, cols);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                float max = VectorMath.Max(row);
                row.CopyTo(exps);
                float sum = VectorMath.ExpShiftedInPlace(exps, max);
                if (log)
                {
                    VectorMath.ScaleShift(row, 1f, -(max + MathF.Log(sum)));
                    cy.Write(r * cols, row);
                }
                else
                {
                    VectorMath.ScaleShift(exps, 1f / sum, 0f);
                    cy.Write(r * cols, exps);
                }
            }
        });
    }

    private protected override void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon)
    {
        var cx = (CpuTensor)x;
        float[]? means = ((CpuTensor?)mean)?.As<float>();
        float[] rstds = ((CpuTensor)rstd).As<float>();
        int cols = x.Shape.Columns;
        CpuParallel.For(x.Shape.Rows, cols, cols, (start, end, scratch) =>
        {
            Span<float> row = scratch.AsSpan(0, cols);
            for (int r = start; r < end; r++)
            {
                cx.Read(r * cols, row);
                float mu = means is null ? 0f : VectorMath.Sum(row) / cols;
                float variance = VectorMath.SumSquaredDeviation(row, mu) / cols;
                if (means is not null)
                {
                    means[r] = mu;
                }

                rstds[r] = 1f / MathF.Sqrt(variance + epsilon);
            }
        });
    }

    private protected override void CastCore(DeviceTensor source, DeviceTensor destination)
    {
        var src = (CpuTensor)source;
        var dst = (CpuTensor)destination;
        int n = source.Length;
        int chunks = (n + ElementChunk - 1) / ElementChunk;
        CpuParallel.For(chunks, ElementChunk, ElementChunk, (start, end, scratch) =>
        {
            for (int c = start; c < end; c++)
            {
                int offset = c * ElementChunk;
                Span<float> buffer = scratch.AsSpan(0, Math.Min(ElementChunk, n - offset));
                src.Read(offset, buffer);
                dst.Write(offset, buffer);
            }
        });
    }
}
