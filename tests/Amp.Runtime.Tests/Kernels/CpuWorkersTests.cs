using Xunit;

namespace Amp.Runtime.Tests.Kernels;

/// <summary>The Cpu device's workers: every item once, errors rethrown, loops inside loops and loops from many threads.</summary>
public sealed class CpuWorkersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Every_item_runs_exactly_once(int count)
    {
        var runs = new int[count];
        for (int repeat = 0; repeat < 50; repeat++)
        {
            CpuWorkers.For(count, i => Interlocked.Increment(ref runs[i]));
        }

        Assert.All(runs, r => Assert.Equal(50, r));
    }

    [Fact]
    public void An_exception_in_an_item_reaches_the_caller_after_the_other_items_ran()
    {
        int ran = 0;
        var error = Assert.Throws<InvalidOperationException>(() => CpuWorkers.For(64, i =>
        {
            Interlocked.Increment(ref ran);
            if (i == 13)
            {
                throw new InvalidOperationException("item 13");
            }
        }));
        Assert.Equal("item 13", error.Message);
        Assert.Equal(64, ran);

        // The workers are free again.
        int after = 0;
        CpuWorkers.For(8, _ => Interlocked.Increment(ref after));
        Assert.Equal(8, after);
    }

    [Fact]
    public void A_loop_inside_a_loop_and_loops_from_many_threads_all_finish()
    {
        long total = 0;
        Parallel.For(0, 8, _ =>
        {
            CpuWorkers.For(16, i => CpuWorkers.For(4, j => Interlocked.Add(ref total, (i * 4) + j)));
        });

        // Each of the 8 callers sums 0 .. 63 once.
        Assert.Equal(8L * (63 * 64 / 2), total);
    }
}
