using System.Collections;

namespace Amp;

/// <summary>A model compiled by the Amp generator for one device.</summary>
public interface ICompiledModel : IDisposable
{
    ModelPlan Plan { get; }

    AmpDevice Device { get; }

    /// <summary>The weights, by PyTorch name, in declaration order.</summary>
    IReadOnlyList<IParameter> Parameters { get; }

    /// <summary>Runs the [Forward] method on the batch and returns its output as floats (row-major).</summary>
    float[] Forward(Batch batch);

    /// <summary>Runs forward and the [Loss] method: the mean loss of the batch, no update.</summary>
    float Evaluate(Batch batch);
}

/// <summary>One weight tensor of a compiled model.</summary>
public interface IParameter
{
    /// <summary>PyTorch name, for example <c>blocks.0.attn.qkv.weight</c>.</summary>
    string Name { get; }

    IReadOnlyList<int> Shape { get; }

    /// <summary>A copy of the FP32 master values.</summary>
    float[] ReadMaster();

    /// <summary>Replaces the FP32 master values (and refreshes the low-precision working copies).</summary>
    void WriteMaster(ReadOnlySpan<float> values);
}

/// <summary>
/// Host arrays by the definition's parameter names: <c>new Batch { { "x", floats }, { "y", labels } }</c>.
/// The batch size follows from the array lengths.
/// </summary>
public sealed class Batch : IEnumerable<KeyValuePair<string, Array>>
{
    private readonly Dictionary<string, Array> inputs = new(StringComparer.Ordinal);

    public void Add(string name, float[] values) => Put(name, values);

    public void Add(string name, int[] values) => Put(name, values);

    public bool TryGet(string name, out Array? values) => inputs.TryGetValue(name, out values);

    public IEnumerator<KeyValuePair<string, Array>> GetEnumerator() => inputs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Put(string name, Array values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        if (!inputs.TryAdd(name, values))
        {
            throw new ArgumentException($"The batch already has an input named '{name}'.", nameof(name));
        }
    }
}
