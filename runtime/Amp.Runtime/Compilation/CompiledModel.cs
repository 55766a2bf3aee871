using System.Globalization;
using Amp.Data;

namespace Amp.Compilation;

/// <summary>
/// The base of every generated compiled model: parameters, input binding with clear errors, and the
/// activation buffers. The generated subclass writes the graph itself (<see cref="RunForward"/>,
/// <see cref="RunLoss"/>) as straight-line calls into the device's kernel library and its own fused chains.
/// A compiled model is not thread-safe: one forward at a time.
/// </summary>
public abstract partial class CompiledModel : ICompiledModel
{
    private readonly List<ModelParameter> parameters = [];
    private readonly List<ModelBuffer> modelBuffers = [];
    private readonly IReadOnlyList<ModelInput> inputs;
    private readonly DeviceTensor?[] buffers;
    private readonly Dictionary<string, DeviceTensor> uploaded = new(StringComparer.Ordinal);
    private int buffersBatch = -1;
    private bool disposed;

    protected CompiledModel(AmpDevice device, ModelPlan plan, IReadOnlyList<ModelInput> inputs, int bufferSlots, TrainingOptions? options)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        options ??= new TrainingOptions();
        options.Validate();
        device.CheckFormats(plan);
        Device = device;
        Plan = plan;
        Options = options;
        Scaler = options.Scaler ?? new LossScaler(enabled: plan.Ops.Any(op => op.Compute == Precision.Fp16 || op.Output == Precision.Fp16));
        this.inputs = inputs;
        buffers = new DeviceTensor?[bufferSlots];

        // Drawn only by a model with Dropout, so every other model's weights stay where Init's stream left them.
        if (plan.Ops.Any(op => op.Kind == OpKind.Dropout))
        {
            DropoutSeed = Init.NextSeed();
        }
    }

    /// <summary>The seed of this model's Dropout masks, drawn from <see cref="Init"/> at Compile (saved in checkpoints).</summary>
    internal ulong DropoutSeed { get; set; }

    /// <summary>TrainStep calls so far: the counter of the next training pass's masks (saved in checkpoints).</summary>
    internal ulong DropoutCounter { get; set; }

    /// <summary>The training options this model was compiled with.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The loss scaler the training step calls (see <see cref="TrainingOptions.Scaler"/>).</summary>
    public ILossScaler Scaler { get; }

    public ModelPlan Plan { get; }

    public AmpDevice Device { get; }

    public IReadOnlyList<IParameter> Parameters => parameters;

    public IReadOnlyList<IBuffer> Buffers => modelBuffers;

    /// <summary>The inputs the definition declares, in order.</summary>
    public IReadOnlyList<ModelInput> Inputs => inputs;

    public float[] Forward(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(Forward));
        ForwardRun run = Bind(batch, withLabels: false, RunMode.Eval);
        return RunForward(run).ToArray();
    }

    public IReadOnlyList<float[]> ForwardOutputs(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(ForwardOutputs));
        ForwardRun run = Bind(batch, withLabels: false, RunMode.Eval);
        DeviceTensor first = RunForward(run);
        return run.Outputs is { } all ? [.. all.Select(t => t.ToArray())] : [first.ToArray()];
    }

    public float Evaluate(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(Evaluate));
        ForwardRun run = Bind(batch, withLabels: true, RunMode.Eval);
        return RunLoss(run, RunForward(run)).ToArray()[0];
    }

    public float EvaluateTrainMode(Batch batch)
    {
        using ExclusiveCall call = Exclusive(nameof(EvaluateTrainMode));
        ForwardRun run = Bind(batch, withLabels: true, RunMode.TrainWithoutSideEffects);
        return RunLoss(run, RunForward(run)).ToArray()[0];
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        ReleaseBuffers();
        parameters.ForEach(p => p.Dispose());
        modelBuffers.ForEach(b => b.Dispose());
        GC.SuppressFinalize(this);
    }

    /// <summary>Registers a weight with its PyTorch name and initial FP32 values (copied to the device).</summary>
    protected ModelParameter AddParameter(string name, LayerParameter values)
    {
        var parameter = new ModelParameter(this, name, values.Shape, values.Values);
        parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// Registers a buffer with its PyTorch name and initial values (copied to the device): an FP32 tensor, or with
    /// <paramref name="counter"/> a rank-0 I64 counter held on the host.
    /// </summary>
    protected ModelBuffer AddBuffer(string name, LayerParameter values, bool counter = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new ModelBuffer(this, name, values.Shape, values.Values, counter);
        modelBuffers.Add(buffer);
        return buffer;
    }

    protected abstract DeviceTensor RunForward(ForwardRun run);

    /// <summary>The [Loss] method on the forward output: a one-element FP32 tensor.</summary>
    protected virtual DeviceTensor RunLoss(ForwardRun run, DeviceTensor output) =>
        throw new InvalidOperationException($"{Plan.Model} has no [Loss] method, so it cannot be evaluated.");

    /// <summary>The backward pass of the [Forward] and [Loss] graph: every gradient accumulated, the loss's seeded with <paramref name="seed"/>.</summary>
    protected virtual void RunBackward(ForwardRun run, float seed) =>
        throw new InvalidOperationException($"{Plan.Model} has no [Loss] method, so it cannot be trained.");

    internal DeviceTensor InputTensor(string name) =>
        uploaded.TryGetValue(name, out DeviceTensor? tensor)
            ? tensor
            : throw new InvalidOperationException($"Input '{name}' was not bound for this run.");

    /// <summary>
    /// Tests only: every slot is allocated this many elements longer than its tensor and filled with NaN, so a kernel
    /// that reads past its tensor's length (the array's, not the shape's) or reads an output before writing it turns
    /// the result into NaN.
    /// </summary>
    internal int SlotSlack { get; set; }

    /// <summary>
    /// The buffer of <paramref name="slot"/> viewed as <paramref name="shape"/>. The generator's memory plan gives one
    /// slot to tensors of one precision whose lifetimes do not overlap, whatever their sizes: the slot grows to its
    /// largest tensor during the first pass at a batch size (the tensors it held before are dead by then) and a smaller
    /// tensor is a view of its first elements. A new batch size releases every slot (see <see cref="Bind"/>).
    /// </summary>
    internal DeviceTensor Buffer(int slot, Precision precision, int[] shape)
    {
        DeviceTensor? buffer = buffers[slot];
        long length = shape.Aggregate(1L, (a, b) => a * b);
        if (buffer is null || buffer.Precision != precision || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = buffers[slot] = Device.Allocate(precision, checked((int)length) + SlotSlack);
            if (SlotSlack > 0)
            {
                Device.Fill(buffer, float.NaN);
            }
        }

        if (buffer.Length > length)
        {
            return buffer.Prefix(new TensorShape(shape));
        }

        return buffer.Shape.Dimensions.SequenceEqual(shape) ? buffer : buffer.Reshape(shape);
    }

    /// <summary>The FP32 buffer of <paramref name="slot"/>, zeroed: a gradient, declared once per backward pass before it is first added to.</summary>
    internal DeviceTensor GradientBuffer(int slot, Precision precision, int[] shape)
    {
        DeviceTensor buffer = Buffer(slot, precision, shape);
        Device.Fill(buffer, 0f);
        return buffer;
    }

    private ForwardRun Bind(Batch batch, bool withLabels, RunMode mode)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        foreach (KeyValuePair<string, Array> given in batch)
        {
            if (!inputs.Any(i => i.Name == given.Key))
            {
                throw new ArgumentException(
                    $"The batch has an input '{given.Key}' that {Plan.Model} does not declare; its inputs are {string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}.", nameof(batch));
            }
        }

        int batchSize = 0;
        string? sizedBy = null;
        var bound = new List<(ModelInput Input, Array Values)>();
        foreach (ModelInput input in inputs.Where(i => withLabels || !i.LossOnly))
        {
            Array values = Required(batch, input);
            int size = values.Length / input.SampleLength;
            if (sizedBy is null)
            {
                batchSize = size;
                sizedBy = input.Name;
            }
            else if (size != batchSize)
            {
                throw new ArgumentException(
                    $"Input '{input.Name}' has shape {input.Describe(Format(size))} but '{sizedBy}' gives batch {batchSize}, so it must be {input.Describe(Format(batchSize))}.", nameof(batch));
            }

            bound.Add((input, values));
        }

        if (batchSize != buffersBatch)
        {
            ReleaseBuffers();
            buffersBatch = batchSize;
        }

        foreach ((ModelInput input, Array values) in bound)
        {
            Upload(input, values, batchSize);
        }

        return new ForwardRun(this, batchSize, mode);
    }

    private static Array Required(Batch batch, ModelInput input)
    {
        string expected = input.Kind == InputKind.Features ? "float[]" : "int[]";
        if (!batch.TryGet(input.Name, out Array? values) || values is null)
        {
            throw new ArgumentException($"The batch has no input '{input.Name}' ({expected} of shape {input.Describe("Batch")}).", nameof(batch));
        }

        if ((input.Kind == InputKind.Features) != values is float[])
        {
            throw new ArgumentException($"Input '{input.Name}' must be {expected}; got {values.GetType().Name}.", nameof(batch));
        }

        if (values.Length == 0 || values.Length % input.SampleLength != 0)
        {
            throw new ArgumentException(
                $"Input '{input.Name}' has {values.Length} values, which is not a whole number of samples of shape {input.Describe("Batch")}.", nameof(batch));
        }

        if (values is int[] ids)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                bool ignored = input.Kind == InputKind.Labels && ids[i] == input.Ignore;
                if ((uint)ids[i] >= (uint)input.Limit && !ignored)
                {
                    throw new ArgumentOutOfRangeException(nameof(batch), ids[i],
                        $"Input '{input.Name}' has {ids[i]} at position {i}, outside [0, {input.Limit}){(input.Kind == InputKind.Labels ? $" and not the ignored {input.Ignore}" : string.Empty)}.");
                }
            }
        }

        return values;
    }

    private void Upload(ModelInput input, Array values, int batchSize)
    {
        if (!uploaded.TryGetValue(input.Name, out DeviceTensor? tensor))
        {
            tensor = Device.Allocate(Precision.Fp32, [batchSize, .. input.SampleShape]);
            uploaded.Add(input.Name, tensor);
        }

        // Ids travel as FP32 integers (exact below 2^24; the limits are checked above).
        float[] floats = values as float[] ?? Array.ConvertAll((int[])values, id => (float)id);
        tensor.CopyFrom(floats);
    }

    private void ReleaseBuffers()
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i]?.Dispose();
            buffers[i] = null;
        }

        foreach (DeviceTensor tensor in uploaded.Values)
        {
            tensor.Dispose();
        }

        uploaded.Clear();
    }

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
