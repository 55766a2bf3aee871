using System.Globalization;
using Amp.Checkpoints;

namespace Amp.Compilation;

// Checkpoints: parameters and buffers under their PyTorch names, layouts and dtypes, the optimizer state under
// "optimizer.<name>.<state>" (PyTorch's state names), and the step counter and scaler state in __metadata__.
public abstract partial class CompiledModel
{
    private const string StepKey = "amp.optimizer_step";
    private const string OptimizerKey = "amp.optimizer";
    private const string ScalerPrefix = "amp.scaler.";
    private const string DropoutSeedKey = "amp.dropout.seed";
    private const string DropoutCounterKey = "amp.dropout.counter";

    private bool HasDropout => Plan.Ops.Any(op => op.Kind == OpKind.Dropout);

    public void SaveSafetensors(string path) => SaveSafetensors(path, weightsOnly: false);

    public void SaveSafetensors(string path, bool weightsOnly)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using ExclusiveCall call = Exclusive(nameof(SaveSafetensors));
        if (microStep != 0)
        {
            throw new InvalidOperationException(
                $"{microStep} of {Options.AccumulationSteps} accumulation micro-batches are pending; save after the optimizer step.");
        }

        var tensors = new List<SafetensorsTensor>();
        foreach (ModelParameter p in parameters)
        {
            tensors.Add(new SafetensorsTensor(p.Name, [.. p.Shape], p.ReadMaster()));
        }

        // Buffers follow the parameters, as in PyTorch's state_dict (a counter as a rank-0 I64).
        foreach (ModelBuffer b in modelBuffers)
        {
            tensors.Add(b.IsCounter ? SafetensorsTensor.Int64(b.Name, [.. b.Shape], [b.Count]) : new SafetensorsTensor(b.Name, [.. b.Shape], b.Read()));
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["amp.model"] = Plan.Model,
        };

        // Weights only: exactly the keys of PyTorch's state_dict (parameters, then buffers), for load_state_dict(strict=True).
        if (weightsOnly)
        {
            SafetensorsFile.Write(path, tensors, metadata);
            return;
        }

        foreach (ModelParameter p in parameters)
        {
            foreach ((string state, DeviceTensor tensor) in OptimizerState(p))
            {
                tensors.Add(new SafetensorsTensor($"optimizer.{p.Name}.{state}", [.. p.Shape], tensor.ToArray()));
            }
        }

        // Training state only once there is some: a model saved before its first step is weights only.
        if (parameters.Any(p => p.State0 is not null || p.State1 is not null))
        {
            metadata[OptimizerKey] = OptimizerName;
            metadata[StepKey] = optimizerStep.ToString(CultureInfo.InvariantCulture);
            foreach ((string key, string value) in Scaler.SaveState())
            {
                metadata[ScalerPrefix + key] = value;
            }
        }

        // Dropout's masks resume where they were: the same seed and TrainStep count give the same next masks.
        if (HasDropout)
        {
            metadata[DropoutSeedKey] = DropoutSeed.ToString(CultureInfo.InvariantCulture);
            metadata[DropoutCounterKey] = DropoutCounter.ToString(CultureInfo.InvariantCulture);
        }

        SafetensorsFile.Write(path, tensors, metadata);
    }

    public void LoadSafetensors(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using ExclusiveCall call = Exclusive(nameof(LoadSafetensors));
        (Dictionary<string, SafetensorsTensor> tensors, Dictionary<string, string> metadata) = SafetensorsFile.Read(path);

        // Validate everything against this model before anything changes (a refused load leaves the model as it
        // was: no optimizer state created, no scaler touched, no weight written).
        string where = $"Checkpoint '{path}'";
        foreach (ModelParameter p in parameters)
        {
            Expect(tensors, p.Name, [.. p.Shape], where);
            if (tensors[p.Name].Integers is not null)
            {
                throw new InvalidDataException($"{where}: tensor '{p.Name}' is I64 but {p.Name} is a floating-point parameter.");
            }
        }

        foreach (ModelBuffer b in modelBuffers)
        {
            Expect(tensors, b.Name, [.. b.Shape], where);
            SafetensorsTensor saved = tensors[b.Name];
            bool fits = b.IsCounter
                ? (saved.Integers is { } count ? count[0] >= 0 : saved.Values[0] >= 0 && saved.Values[0] == MathF.Floor(saved.Values[0]))
                : saved.Integers is null;
            if (!fits)
            {
                throw new InvalidDataException($"{where}: tensor '{b.Name}' ({saved.DType}) does not fit buffer {b}.");
            }
        }

        bool hasOptimizer = metadata.ContainsKey(StepKey);
        int step = 0;
        if (hasOptimizer)
        {
            if (!metadata.TryGetValue(OptimizerKey, out string? optimizer) || optimizer != OptimizerName)
            {
                throw new InvalidDataException($"{where} holds {optimizer ?? "no"} optimizer state but this model trains with {OptimizerName}.");
            }

            // The step must leave room to count on: int.MaxValue would overflow on the next update.
            if (!int.TryParse(metadata[StepKey], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step == int.MaxValue)
            {
                throw new InvalidDataException($"{where} has {StepKey} '{metadata[StepKey]}', not a step count in [0, {int.MaxValue - 1}].");
            }

            foreach (ModelParameter p in parameters)
            {
                foreach (string state in OptimizerStateNames())
                {
                    Expect(tensors, $"optimizer.{p.Name}.{state}", [.. p.Shape], where);
                }
            }
        }

        var known = new HashSet<string>(parameters.Select(p => p.Name).Concat(modelBuffers.Select(b => b.Name))
            .Concat(hasOptimizer ? parameters.SelectMany(p => OptimizerStateNames().Select(s => $"optimizer.{p.Name}.{s}")) : []));
        if (tensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new InvalidDataException($"{where} has tensor '{unknown}', which {Plan.Model} does not have{(hasOptimizer ? string.Empty : " (optimizer state without amp.optimizer_step)")}.");
        }

        ulong dropoutSeed = DropoutSeed, dropoutCounter = DropoutCounter;
        if (HasDropout && metadata.ContainsKey(DropoutSeedKey)
            && (!ulong.TryParse(metadata[DropoutSeedKey], NumberStyles.None, CultureInfo.InvariantCulture, out dropoutSeed)
                || !metadata.TryGetValue(DropoutCounterKey, out string? counter)
                || !ulong.TryParse(counter, NumberStyles.None, CultureInfo.InvariantCulture, out dropoutCounter)))
        {
            throw new InvalidDataException($"{where} has a Dropout state ({DropoutSeedKey}, {DropoutCounterKey}) that is not two unsigned integers.");
        }

        var scalerState = metadata.Where(m => m.Key.StartsWith(ScalerPrefix, StringComparison.Ordinal))
            .ToDictionary(m => m.Key[ScalerPrefix.Length..], m => m.Value);

        // The precision variants of one definition share their weights and optimizer state; only the scaler differs.
        // A BF16/FP32 plan (scaler off) ignores an FP16 checkpoint's scale, and an FP16 plan keeps its own scale when
        // the checkpoint has none.
        bool loadScaler = hasOptimizer && Scaler.Enabled && scalerState.Count > 0;
        if (loadScaler)
        {
            try
            {
                // All or nothing: the scaler parses and checks its whole state before it changes.
                Scaler.LoadState(scalerState);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                throw new InvalidDataException($"{where} has a loss-scaler state this model's scaler refuses: {e.Message}", e);
            }
        }

        if (hasOptimizer)
        {
            EnsureOptimizerState();
        }

        foreach (ModelParameter p in parameters)
        {
            p.WriteMaster(tensors[p.Name].Values);
            if (hasOptimizer)
            {
                foreach ((string state, DeviceTensor tensor) in OptimizerState(p))
                {
                    tensor.CopyFrom(tensors[$"optimizer.{p.Name}.{state}"].Values);
                }
            }
        }

        foreach (ModelBuffer b in modelBuffers)
        {
            SafetensorsTensor saved = tensors[b.Name];
            if (b.IsCounter)
            {
                b.WriteCount(saved.Integers?[0] ?? (long)saved.Values[0]);
            }
            else
            {
                b.Write(saved.Values);
            }
        }

        if (hasOptimizer)
        {
            optimizerStep = step;
        }

        DropoutSeed = dropoutSeed;
        DropoutCounter = dropoutCounter;
        microStep = 0;
        ZeroGradients();
        if (metadata.TryGetValue("amp.model", out string? savedBy) && savedBy != Plan.Model)
        {
            Device.Raise(new DeviceNotice(DeviceNoticeKind.CheckpointFromOtherModel, Plan.Model,
                $"{where} was saved by {savedBy}; its names and shapes match {Plan.Model}, so it was loaded."));
        }
    }

    /// <summary>The optimizer state tensors each parameter has once training starts (PyTorch's names).</summary>
    private IEnumerable<string> OptimizerStateNames() =>
        Options.Sgd is null ? ["exp_avg", "exp_avg_sq"] : Options.Sgd.Momentum != 0 ? ["momentum_buffer"] : [];

    private string OptimizerName => Options.Sgd is null ? "adamw" : "sgd";

    private IEnumerable<(string State, DeviceTensor Tensor)> OptimizerState(ModelParameter p)
    {
        if (Options.Sgd is null)
        {
            if (p.State0 is not null && p.State1 is not null)
            {
                yield return ("exp_avg", p.State0);
                yield return ("exp_avg_sq", p.State1);
            }
        }
        else if (p.State0 is not null)
        {
            yield return ("momentum_buffer", p.State0);
        }
    }

    private static void Expect(Dictionary<string, SafetensorsTensor> tensors, string name, int[] shape, string where)
    {
        if (!tensors.TryGetValue(name, out SafetensorsTensor? tensor))
        {
            throw new InvalidDataException($"{where} has no tensor '{name}'.");
        }

        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException(
                $"{where}: tensor '{name}' has shape {SafetensorsFile.Describe(tensor.Shape)} but {Owner(name)} is {SafetensorsFile.Describe(shape)}.");
        }
    }

    /// <summary>The model tensor a checkpoint entry belongs to (optimizer state names its parameter).</summary>
    private static string Owner(string name)
    {
        if (!name.StartsWith("optimizer.", StringComparison.Ordinal))
        {
            return name;
        }

        int last = name.LastIndexOf('.');
        return name["optimizer.".Length..last];
    }
}
