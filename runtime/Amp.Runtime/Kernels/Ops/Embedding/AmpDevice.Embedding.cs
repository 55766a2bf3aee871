namespace Amp;

// Embedding: the gather of weight rows by id, and its backward (rows added into the weight gradient).
public abstract partial class AmpDevice
{
    /// <summary>Embedding backward: dtable[ids[r]] += dy[r] (rows in order, so the sum is deterministic).</summary>
    public void ScatterAddRows(DeviceTensor dy, DeviceTensor ids, DeviceTensor dtable)
    {
        Owns(dy, nameof(dy));
        Owns(ids, nameof(ids));
        Gradients(nameof(dtable), dtable);
        if (dy.Length != ids.Length * dtable.Shape.Columns)
        {
            throw new ArgumentException($"'dy' {dy.Shape} must have one row of {dtable.Shape.Columns} per id ({ids.Length} ids).", nameof(dy));
        }

        ScatterAddRowsCore(dy, ids, HostIds(ids, dtable.Shape.Rows, nameof(ids), "Id at position"), dtable);
    }

    private protected abstract void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable);

    /// <summary>
    /// Row r of y = row ids[r] of table. Ids are stored as FP32 integers (exact below 2^24); each must be in
    /// [0, table rows).
    /// </summary>
    public void Gather(DeviceTensor table, DeviceTensor ids, DeviceTensor y)
    {
        Owns(table, nameof(table));
        Owns(ids, nameof(ids));
        Owns(y, nameof(y));
        ShapeCheck.Fp32(ids, nameof(ids));
        if (y.Shape.Columns != table.Shape.Columns || y.Shape.Rows != ids.Length)
        {
            throw new ArgumentException($"y must be [{ids.Length} rows, {table.Shape.Columns}] for {ids.Length} ids into {table.Shape}; got {y.Shape}.", nameof(y));
        }

        GatherCore(table, ids, HostIds(ids, table.Shape.Rows, nameof(ids), "Id at position"), y);
    }

    private protected abstract void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y);
}
