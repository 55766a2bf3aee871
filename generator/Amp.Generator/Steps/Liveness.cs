using Amp.Generator.Model;

namespace Amp.Generator.Steps;

/// <summary>
/// The memory plan of a step program. A buffer lives from the first step that reads or writes it to the last. Buffers
/// of one storage precision whose lifetimes do not overlap share a slot, whatever their sizes: a slot is as large as
/// its largest buffer and a smaller buffer is a view of its first elements (greedy interval colouring in order of
/// birth, best fit: the smallest free slot that holds the buffer, else the largest free slot, grown). Per-sample and
/// fixed-size buffers never share, so a slot's size is one of the two at every batch size. Saved activations are the
/// forward buffers a backward step still reads: they stay alive exactly until the last of those steps.
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
        var slots = new List<Slot>();
        foreach (int id in Enumerable.Range(0, buffers.Count).Where(i => last[i] >= 0).OrderBy(i => first[i]).ThenBy(i => i))
        {
            BufferSpec b = buffers[id];
            long size = Size(b);
            List<int> free = Enumerable.Range(0, slots.Count)
                .Where(s => slots[s].Precision == b.Precision && slots[s].PerSample == b.PerSample > 0 && slots[s].FreeAfter < first[id])
                .ToList();
            int slot = free.Where(s => slots[s].Size >= size).OrderBy(s => slots[s].Size).ThenBy(s => s)
                .Concat(free.OrderByDescending(s => slots[s].Size).ThenBy(s => s))
                .DefaultIfEmpty(-1).First();
            if (slot < 0)
            {
                slot = slots.Count;
                slots.Add(new Slot(b.Precision, b.PerSample > 0));
            }

            slots[slot].Take(id, size, last[id]);
            slotOf[id] = slot;
        }

        int backwardStart = Enumerable.Range(0, steps.Count).Where(s => steps[s].Phase == StepPhase.Backward).DefaultIfEmpty(int.MaxValue).First();
        long saved = Enumerable.Range(0, buffers.Count).Where(i => first[i] < backwardStart && last[i] >= backwardStart).Sum(i => buffers[i].BytesPerSample);
        SlotSpec[] specs = slots.Select((s, i) => new SlotSpec(i, s.Precision, s.PerSample ? s.Size : 0, s.PerSample ? 0 : s.Size, s.Users.ToEquatableArray())).ToArray();
        return (slotOf.ToEquatableArray(), specs.ToEquatableArray(), specs.Sum(s => s.PerSample * s.Precision.Bytes()),
            specs.Sum(s => s.Fixed * s.Precision.Bytes()), saved);
    }

    private static long Size(BufferSpec b) => b.PerSample > 0 ? b.PerSample : b.Fixed;

    /// <summary>One allocation being planned: its precision, whether it scales with the batch, its size in elements (per sample or in all).</summary>
    private sealed class Slot(Precision precision, bool perSample)
    {
        public Precision Precision { get; } = precision;

        public bool PerSample { get; } = perSample;

        public long Size { get; private set; }

        /// <summary>The last step of its latest buffer: the slot is free from the step after.</summary>
        public int FreeAfter { get; private set; } = -1;

        public List<int> Users { get; } = [];

        public void Take(int buffer, long size, int lastStep)
        {
            Size = Math.Max(Size, size);
            FreeAfter = lastStep;
            Users.Add(buffer);
        }
    }
}
