using System.Collections;

// Batch lives outside the Amp namespace on purpose: a model file imports Amp and Amp.Ops, whose symbolic
// dimension Ops.Batch would otherwise be ambiguous with this type in [Shape(Batch, ...)].
namespace Amp.Data;

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

    /// <summary>The array of input <paramref name="name"/> as <typeparamref name="T"/> (<c>float[]</c> or <c>int[]</c>).</summary>
    public T Get<T>(string name)
        where T : class =>
        inputs.TryGetValue(name, out Array? values)
            ? values as T ?? throw new InvalidCastException($"Input '{name}' is {values.GetType().Name}, not {typeof(T).Name}.")
            : throw new KeyNotFoundException($"The batch has no input '{name}'.");

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
