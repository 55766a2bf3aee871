using Amp.Generator.Emit;
using Amp.Generator.Model;

namespace Amp.Generator.Tests;

/// <summary>The memory plan's liveness: buffers share a slot only when their lifetimes do not overlap and they have one precision and size.</summary>
public sealed class BufferPlannerTests
{
    private static readonly int[] Rows = [-1, 16];

    [Fact]
    public void Buffers_whose_lifetimes_do_not_overlap_share_a_slot()
    {
        var planner = new BufferPlanner();
        string a = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows), b = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows), c = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows);
        planner.Declare("t0", $"run.Buffer({a})");
        planner.Declare("t1", $"run.Buffer({b})");
        planner.Declare("t2", $"run.Buffer({c})");
        planner.Declare("t3", "t0.Reshape(B, 4, 4)");
        planner.Block("t0 = f()");        // block 0: t0 born
        planner.Block("t1 = g(t0)");      // block 1: t1 born, t0 read
        planner.Block("t2 = h(t1)");      // block 2: t0 dead, t2 can take its slot
        planner.Block("use(t2)");
        (string code, int slots, long perSample, _, _) = planner.Resolve($"{a} {b} {c}");
        Assert.Equal(2, slots);
        Assert.Equal("0 1 0", code);
        Assert.Equal(2 * 16 * 4, perSample);
    }

    [Fact]
    public void A_view_keeps_its_buffer_alive_and_precisions_never_share()
    {
        var planner = new BufferPlanner();
        string a = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows), b = planner.Allocate(Amp.Generator.Model.Precision.Bf16, Rows), c = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows);
        planner.Declare("t0", $"run.Buffer({a})");
        planner.Declare("t5", "t0.Reshape(B, 4, 4)");
        planner.Declare("t1", $"run.Buffer({b})");
        planner.Declare("t2", $"run.Buffer({c})");
        planner.Block("t0 = f()");
        planner.Block("t1 = g()");
        planner.StartBackward();
        planner.Block("t2 = h(t5)");      // t0 still alive through its view t5: t2 needs a new slot
        (string code, int slots, long perSample, _, long saved) = planner.Resolve($"{a} {b} {c}");
        Assert.Equal(3, slots);
        Assert.Equal("0 1 2", code);
        Assert.Equal((16 * 4) + (16 * 2) + (16 * 4), perSample);
        Assert.Equal(16 * 4, saved);
    }

    [Fact]
    public void A_buffer_no_block_touches_costs_nothing()
    {
        var planner = new BufferPlanner();
        string used = planner.Allocate(Amp.Generator.Model.Precision.Fp32, Rows);
        planner.Allocate(Amp.Generator.Model.Precision.Fp32, [-1, 1024]);
        planner.Declare("t0", $"run.Buffer({used})");
        planner.Block("t0 = f()");
        (string code, int slots, long perSample, _, _) = planner.Resolve(used);
        Assert.Equal(("0", 1, 16 * 4L), (code, slots, perSample));
    }
}
