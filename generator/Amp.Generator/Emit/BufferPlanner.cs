using System.Text.RegularExpressions;
using Amp.Generator.Model;
using Amp.Generator.Passes;

namespace Amp.Generator.Emit;

/// <summary>
/// The memory plan: every buffer the generated forward, loss and backward code allocates gets a placeholder id;
/// the emitter reports, block by block along one step (forward, loss, backward), which tensor locals each block
/// touches; a buffer lives from its first block to its last (views count for the buffer they view). Buffers of the
/// same storage precision and element count whose lifetimes do not overlap share a slot (greedy interval
/// colouring). Saved activations therefore stay alive exactly until the backward block that last reads them.
/// </summary>
internal sealed class BufferPlanner
{
    private static readonly Regex Placeholder = new("§(\\d+)§", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex Local = new(@"\b[tg]\d+[A-Za-z0-9]*\b", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private readonly List<(Precision Precision, long PerSample, long Fixed)> buffers = [];
    private readonly List<(int First, int Last)> lifetimes = [];
    private readonly Dictionary<string, int> bufferOf = new(StringComparer.Ordinal);
    private int block;
    private int backwardStart = int.MaxValue;

    /// <summary>A new buffer of <paramref name="shape"/> (Batch as -1); returns its placeholder, replaced by the slot in <see cref="Resolve"/>.</summary>
    public string Allocate(Precision precision, IReadOnlyList<int> shape)
    {
        long count = shape.Where(d => d != Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        bool perSample = shape.Contains(Shapes.Batch);
        buffers.Add((precision, perSample ? count : 0, perSample ? 0 : count));
        lifetimes.Add((int.MaxValue, -1));
        return $"§{buffers.Count - 1}§";
    }

    /// <summary>Records that <paramref name="local"/> is declared by <paramref name="initializer"/>: a new buffer, or a view of another local.</summary>
    public void Declare(string local, string initializer)
    {
        Match placeholder = Placeholder.Match(initializer);
        if (placeholder.Success)
        {
            bufferOf[local] = int.Parse(placeholder.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return;
        }

        Match source = Local.Match(initializer);
        if (source.Success && bufferOf.TryGetValue(source.Value, out int viewed))
        {
            bufferOf[local] = viewed;
        }
    }

    /// <summary>The next block of the step touches the locals named in <paramref name="code"/>.</summary>
    public void Block(string code)
    {
        foreach (Match m in Local.Matches(code))
        {
            if (bufferOf.TryGetValue(m.Value, out int id))
            {
                lifetimes[id] = (Math.Min(lifetimes[id].First, block), Math.Max(lifetimes[id].Last, block));
            }
        }

        block++;
    }

    /// <summary>The blocks from here on are the backward pass: buffers of earlier blocks still read there are the saved activations.</summary>
    public void StartBackward() => backwardStart = block;

    /// <summary>
    /// Assigns slots; returns the code with placeholders replaced, the slot count, the bytes of all slots (per sample,
    /// fixed) and the bytes per sample of the saved activations (forward buffers the backward pass reads).
    /// </summary>
    public (string Code, int Slots, long BytesPerSample, long FixedBytes, long SavedBytesPerSample) Resolve(string code)
    {
        var slotOf = new int[buffers.Count];
        var slots = new List<(Precision Precision, long PerSample, long Fixed, int FreeAfter)>();
        // A buffer no block touches (a gradient the backward never declared) gets no slot and costs nothing.
        foreach (int id in Enumerable.Range(0, buffers.Count).Where(i => lifetimes[i].Last >= 0).OrderBy(i => lifetimes[i].First).ThenBy(i => i))
        {
            (Precision p, long perSample, long fixedCount) = buffers[id];
            (int first, int last) = lifetimes[id];
            int slot = slots.FindIndex(s => s.Precision == p && s.PerSample == perSample && s.Fixed == fixedCount && s.FreeAfter < first);
            if (slot < 0)
            {
                slot = slots.Count;
                slots.Add((p, perSample, fixedCount, last));
            }
            else
            {
                slots[slot] = (p, perSample, fixedCount, last);
            }

            slotOf[id] = slot;
        }

        string resolved = Placeholder.Replace(code, m => slotOf[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture));
        long bytesPerSample = slots.Sum(s => s.PerSample * Size(s.Precision));
        long fixedBytes = slots.Sum(s => s.Fixed * Size(s.Precision));
        long saved = Enumerable.Range(0, buffers.Count)
            .Where(i => lifetimes[i].First < backwardStart && lifetimes[i].Last >= backwardStart)
            .Sum(i => buffers[i].PerSample * Size(buffers[i].Precision));
        return (resolved, slots.Count, bytesPerSample, fixedBytes, saved);
    }

    private static long Size(Precision p) => p == Precision.Fp32 ? 4 : 2;
}
