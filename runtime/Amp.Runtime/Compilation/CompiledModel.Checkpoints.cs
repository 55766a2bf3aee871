using System.Globalization;
using Amp.Checkpoints;

namespace Amp.Compilation;

// Checkpoints: parameters under their PyTorch names and layouts, the optimizer state under
// "optimizer.<name>.<state>" (PyTorch's state names), and the step counter and scaler state in __metadata__.
public abstract partial class CompiledModel
{
    private const string StepKey = "amp.optimizer_step";
    private const string OptimizerKey = "amp.optimizer";
    private const string ScalerPrefix = "amp.scaler.";

    public void SaveSafetensors(string path)
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

        foreach (ModelParameter p in parameters)
        {
            foreach ((string state, DeviceTensor tensor) in OptimizerState(p))
            {
                tensors.Add(new SafetensorsTensor($"optimizer.{p.Name}.{state}", [.. p.Shape], tensor.ToArray()));
            }
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["amp.model"] = Plan.Model,
        };

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

        SafetensorsFile.Write(path, tensors, metadata);
    }

    public void LoadSafetensors(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using ExclusiveCall call = Exclusive(nameof(LoadSafetensors));
        (Dictionary<string, SafetensorsTensor> tensors, Dictionary<string, string> metadata) = SafetensorsFile.Read(path);

        // Validate everything against this model before anything changes.
        string where = $"Checkpoint '{path}'";
        foreach (ModelParameter p in parameters)
        {
            Expect(tensors, p.Name, p, where);
        }

        bool hasOptimizer = metadata.ContainsKey(StepKey);
        int step = 0;
        if (hasOptimizer)
        {
            if (!metadata.TryGetValue(OptimizerKey, out string? optimizer) || optimizer != OptimizerName)
            {
                throw new InvalidDataException($"{where} holds {optimizer ?? "no"} optimizer state but this model trains with {OptimizerName}.");
            }

            if (!int.TryParse(metadata[StepKey], NumberStyles.None, CultureInfo.InvariantCulture, out step))
            {
                throw new InvalidDataException($"{where} has {StepKey} '{metadata[StepKey]}', not a step count.");
            }

            EnsureOptimizerState();
            foreach (ModelParameter p in parameters)
            {
                foreach ((string state, _) in OptimizerState(p))
                {
                    Expect(tensors, $"optimizer.{p.Name}.{state}", p, where);
                }
            }
        }

        var known = new HashSet<string>(parameters.Select(p => p.Name).Concat(parameters.SelectMany(p => OptimizerState(p).Select(s => $"optimizer.{p.Name}.{s.State}"))));
        if (tensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new InvalidDataException($"{where} has tensor '{unknown}', which {Plan.Model} does not have.");
        }

        var scalerState = metadata.Where(m => m.Key.StartsWith(ScalerPrefix, StringComparison.Ordinal))
            .ToDictionary(m => m.Key[ScalerPrefix.Length..], m => m.Value);
        if (hasOptimizer)
        {
            // All or nothing: the scaler parses and checks its whole state before it changes.
            Scaler.LoadState(scalerState);
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

        if (hasOptimizer)
        {
            optimizerStep = step;
        }

        microStep = 0;
        ZeroGradients();
    }

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

    private static void Expect(Dictionary<string, SafetensorsTensor> tensors, string name, ModelParameter p, string where)
    {
        if (!tensors.TryGetValue(name, out SafetensorsTensor? tensor))
        {
            throw new InvalidDataException($"{where} has no tensor '{name}'.");
        }

        if (!tensor.Shape.SequenceEqual(p.Shape))
        {
            throw new InvalidDataException(
                $"{where}: tensor '{name}' has shape {SafetensorsFile.Describe(tensor.Shape)} but {p.Name} is {SafetensorsFile.Describe([.. p.Shape])}.");
        }
    }
}
