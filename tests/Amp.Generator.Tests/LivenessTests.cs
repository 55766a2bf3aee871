using Amp.Generator.Model;
using Amp.Generator.Steps;
using GeneratorPrecision = Amp.Generator.Model.Precision;

namespace Amp.Generator.Tests;

/// <summary>The memory plan's liveness on a step program: buffers share a slot only when their lifetimes do not overlap and they have one precision; the slot is as large as its largest buffer.</summary>
public sealed class LivenessTests
{
    private static BufferSpec Rows(int id, GeneratorPrecision precision = GeneratorPrecision.Fp32, long perSample = 16) => new(id, $"t{id}", precision, perSample, 0);

    private static StepSpec Step(StepPhase phase, int[] reads, int[] writes) =>
        new(phase, -1, EquatableArray<string>.Empty, reads.ToEquatableArray(), writes.ToEquatableArray(), EquatableArray<string>.Empty);

    [Fact]
    public void Buffers_whose_lifetimes_do_not_overlap_share_a_slot()
    {
        BufferSpec[] buffers = [Rows(0), Rows(1), Rows(2)];
        StepSpec[] steps =
        [
            Step(StepPhase.Forward, [], [0]),   // step 0: buffer 0 born
            Step(StepPhase.Forward, [0], [1]),  // step 1: buffer 1 born, 0 read for the last time
            Step(StepPhase.Forward, [1], [2]),  // step 2: 0 is dead, 2 takes its slot
            Step(StepPhase.Forward, [2], []),
        ];
        var (slotOf, slots, perSample, _, _) = Liveness.Plan(buffers, steps);
        Assert.Equal([0, 1, 0], slotOf);
        Assert.Equal(2, slots.Count);
        Assert.Equal([0, 2], slots[0].Buffers);
        Assert.Equal(2 * 16 * 4, perSample);
    }

    [Fact]
    public void A_buffer_the_backward_reads_is_saved_and_precisions_never_share()
    {
        BufferSpec[] buffers = [Rows(0), Rows(1, GeneratorPrecision.Bf16), Rows(2)];
        StepSpec[] steps =
        [
            Step(StepPhase.Forward, [], [0]),
            Step(StepPhase.Forward, [], [1]),
            Step(StepPhase.Backward, [0], [2]), // 0 is still alive (saved): 2 needs a new slot
        ];
        var (slotOf, slots, perSample, _, saved) = Liveness.Plan(buffers, steps);
        Assert.Equal([0, 1, 2], slotOf);
        Assert.Equal(3, slots.Count);
        Assert.Equal((16 * 4) + (16 * 2) + (16 * 4), perSample);
        Assert.Equal(16 * 4, saved);
    }

    [Fact]
    public void Buffers_of_different_sizes_share_a_slot_as_large_as_the_largest()
    {
        // 0 (16) dies at step 1; 1 (32) is born at step 2 and takes 0's slot, which grows to 32; 2 (8) is born at
        // step 4 when both slot 0 (32, free) and slot 1 (16, free) would hold it: best fit takes the smaller.
        BufferSpec[] buffers = [Rows(0), Rows(1, perSample: 32), Rows(2, perSample: 8), Rows(3)];
        StepSpec[] steps =
        [
            Step(StepPhase.Forward, [], [0]),
            Step(StepPhase.Forward, [0], [3]),
            Step(StepPhase.Forward, [], [1]),
            Step(StepPhase.Forward, [1, 3], []),
            Step(StepPhase.Forward, [], [2]),
        ];
        var (slotOf, slots, perSample, _, _) = Liveness.Plan(buffers, steps);
        Assert.Equal([0, 0, 1, 1], slotOf);
        Assert.Equal((32L, 16L), (slots[0].PerSample, slots[1].PerSample));
        Assert.Equal((32 * 4) + (16 * 4), perSample);
    }

    [Fact]
    public void Per_sample_and_fixed_buffers_never_share_and_count_apart()
    {
        BufferSpec[] buffers = [Rows(0), new(1, "t1", GeneratorPrecision.Fp32, 0, 100), Rows(2, perSample: 32)];
        StepSpec[] steps = [Step(StepPhase.Forward, [], [0]), Step(StepPhase.Forward, [], [1]), Step(StepPhase.Forward, [], [2])];
        var (slotOf, _, perSample, fixedBytes, _) = Liveness.Plan(buffers, steps);
        Assert.Equal([0, 1, 0], slotOf);
        Assert.Equal(32 * 4, perSample);
        Assert.Equal(400, fixedBytes);
    }

    [Fact]
    public void A_buffer_no_step_touches_costs_nothing()
    {
        BufferSpec[] buffers = [Rows(0), Rows(1, perSample: 1024)];
        var (slotOf, slots, perSample, _, _) = Liveness.Plan(buffers, [Step(StepPhase.Forward, [], [0])]);
        Assert.Equal([0, -1], slotOf);
        Assert.Equal((1, 16 * 4L), (slots.Count, perSample));
    }
}
