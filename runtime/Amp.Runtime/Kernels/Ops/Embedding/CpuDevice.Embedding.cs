using System.Numerics;

namespace Amp;

// Embedding: the gather of weight rows by id, and its backward (rows added into the weight gradient).
internal sealed partial class CpuDevice
{
    private protected override void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable)
    {
        using Fp32Elements gy = new(dy);
        float[] g = gy.Values, t = ((CpuTensor)dtable).As<float>();
        int cols = dtable.Shape.Columns;
        for (int r = 0; r < hostIds.Length; r++)
        {
            VectorMath.Axpy(t.AsSpan((int)hostIds[r] * cols, cols), g.AsSpan(r * cols, cols), 1f);
        }
    }

    private protected override void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y)
    {
        var ct = (CpuTensor)table;
        var cy = (CpuTensor)y;
        int cols = table.Shape.Columns;
        var row = new float[cols];
        for (int r = 0; r < hostIds.Length; r++)
        {
            ct.Read((int)hostIds[r] * cols, row);
            cy.Write(r * cols, row);
        }
    }
}
