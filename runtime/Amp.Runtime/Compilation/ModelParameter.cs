namespace Amp.Compilation;

/// <summary>
/// A weight of a compiled model: the FP32 master on the device, and one working copy per low precision an op
/// reads it in, cast from the master once (at compile time and after every write), never per call.
/// </summary>
public sealed class ModelParameter : IParameter, IDisposable
{
    private readonly Dictionary<Precision, DeviceTensor> working = [];
    private readonly int[] shape;

    private readonly CompiledModel owner;

    internal ModelParameter(CompiledModel owner, string name, int[] shape, ReadOnlySpan<float> values)
    {
        this.owner = owner;
        Name = name;
        this.shape = (int[])shape.Clone();
        AmpDevice device = owner.Device;
        Master = device.FromHost(values, Precision.Fp32, shape);
        Gradient = device.Allocate(Precision.Fp32, shape);
        device.Fill(Gradient, 0f);
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape => shape;

    /// <summary>The FP32 master weights.</summary>
    public DeviceTensor Master { get; }

    /// <summary>The FP32 gradient the backward pass accumulates into (scaled by the loss scale until the step unscales it).</summary>
    public DeviceTensor Gradient { get; }

    /// <summary>Optimizer state: SGD's momentum buffer, or AdamW's first and second moments (null until the session allocates them).</summary>
    internal DeviceTensor? State0 { get; set; }

    internal DeviceTensor? State1 { get; set; }

    internal IEnumerable<DeviceTensor> WorkingCopies => working.Values;

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

    /// <summary>The FP32 gradient of the last backward pass, unscaled (and clipped when the step clipped it).</summary>
    public float[] ReadGradient()
    {
        float[] values = Gradient.ToArray();
        float factor = owner.PendingGradientFactor;
        if (factor != 1f)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] *= factor;
            }
        }

        return values;
    }

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
        Gradient.Dispose();
        State0?.Dispose();
        State1?.Dispose();
        foreach (DeviceTensor copy in working.Values)
        {
            copy.Dispose();
        }
    }

    public override string ToString() => $"{Name} {EagerShape.Format(shape)}";
}
