namespace Amp.Compilation;

/// <summary>
/// A weight of a compiled model: the FP32 master on the device, and one working copy per low precision an op
/// reads it in, cast from the master once (at compile time and after every write), never per call.
/// </summary>
public sealed class ModelParameter : IParameter, IDisposable
{
    private readonly Dictionary<Precision, DeviceTensor> working = [];
    private readonly int[] shape;

    internal ModelParameter(AmpDevice device, string name, int[] shape, ReadOnlySpan<float> values)
    {
        Name = name;
        this.shape = (int[])shape.Clone();
        Master = device.FromHost(values, Precision.Fp32, shape);
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape => shape;

    /// <summary>The FP32 master weights.</summary>
    public DeviceTensor Master { get; }

    /// <summary>The weight as an op of the plan reads it: the master itself for FP32, else the cached working copy.</summary>
    public DeviceTensor Working(Precision precision)
    {
        if (precision == Precision.Fp32)
        {
            return Master;
        }

        if (!working.TryGetValue(precision, out DeviceTensor? copy))
        {
            copy = Master.Device.Allocate(precision, shape);
            Master.Device.Cast(Master, copy);
            working.Add(precision, copy);
        }

        return copy;
    }

    public float[] ReadMaster() => Master.ToArray();

    public void WriteMaster(ReadOnlySpan<float> values)
    {
        if (values.Length != Master.Length)
        {
            throw new ArgumentException(
                $"Parameter '{Name}' has shape {EagerShape.Format(shape)} ({Master.Length} values); got {values.Length} values.", nameof(values));
        }

        Master.CopyFrom(values);
        foreach (DeviceTensor copy in working.Values)
        {
            Master.Device.Cast(Master, copy);
        }
    }

    public void Dispose()
    {
        Master.Dispose();
        foreach (DeviceTensor copy in working.Values)
        {
            copy.Dispose();
        }
    }

    public override string ToString() => $"{Name} {EagerShape.Format(shape)}";
}
