using Amp.Generator.Model;

namespace Amp.Generator.Steps;

/// <summary>
/// The memory plan of a step program. A buffer lives from the first step that reads or writes it to the last; buffers
/// of one storage precision and element count whose lifetimes do not overlap share a slot (greedy interval colouring
/// in order of birth). Saved activations are the forward buffers a backward step still reads: they stay alive exactly
/// until the last of those steps.
/// </summary>
internal static class Liveness
{
    public static (EquatableArray<int> SlotOf, EquatableArray<SlotSpec> Slots, long BytesPerSample, long FixedBytes, long SavedBytesPerSample) Plan(
        IReadOnlyList<BufferSpec> buffers, IReadOnlyList<StepSpec> steps)
    {
        var first = Enumerable.Repeat(int.MaxValue, buffers.Count).ToArray();
        var last = Enumerable.Repeat(-1, buffers.Count).ToArray();
        for (int s = 0; s < steps.Count; s++)
        {
            foreach (int id in steps[s].Reads.Concat(steps[s].Writes))
            {
                first[id] = Math.Min(first[id], s);
                last[id] = Math.Max(last[id], s);
            }
        }

        // A buffer no step touches gets no slot and costs nothing (-1).
        var slotOf = Enumerable.Repeat(-1, buffers.Count).ToArray();
        var slots = new List<(BufferSpec Shape, int FreeAfter, List<int> Users)>();
        foreach (int id in Enumerable.Range(0, buffers.Count).Where(i => last[i] >= 0).OrderBy(i => first[i]).ThenBy(i => i))
        {
            BufferSpec b = buffers[id];
            int slot = slots.FindIndex(s => s.Shape.Precision == b.Precision && s.Shape.PerSample == b.PerSample && s.Shape.Fixed == b.Fixed && s.FreeAfter < first[id]);
            if (slot < 0)
            {
                slot = slots.Count;
                slots.Add((b, last[id], [id]));
            }
            else
            {
                slots[slot] = (slots[slot].Shape, last[id], slots[slot].Users);
                slots[slot].Users.Add(id);
            }

            slotOf[id] = slot;
        }

        int backwardStart = Enumerable.Range(0, steps.Count).Where(s => steps[s].Phase == StepPhase.Backward).DefaultIfEmpty(int.MaxValue).First();
        long saved = Enumerable.Range(0, buffers.Count).Where(i => first[i] < backwardStart && last[i] >= backwardStart).Sum(i => buffers[i].BytesPerSample);
        SlotSpec[] specs = slots.Select((s, i) => new SlotSpec(i, s.Shape.Precision, s.Shape.PerSample, s.Shape.Fixed, s.Users.ToEquatableArray())).ToArray();
        return (slotOf.ToEquatableArray(), specs.ToEquatableArray(), slots.Sum(s => s.Shape.BytesPerSample), slots.Sum(s => s.Shape.FixedBytes), saved);
    }
}
