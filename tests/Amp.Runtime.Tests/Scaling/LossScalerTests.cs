namespace Amp.Tests.Scaling;

public class LossScalerTests
{
    [Fact]
    public void Defaults_are_gradscalers()
    {
        var scaler = new LossScaler();
        Assert.Equal(65536f, scaler.Scale);
        Assert.Equal(2f, scaler.GrowthFactor);
        Assert.Equal(0.5f, scaler.BackoffFactor);
        Assert.Equal(2000, scaler.GrowthInterval);
        Assert.Equal(0, scaler.GrowthTracker);
        Assert.Equal((float)(1.0 / 65536), scaler.InverseScale);
    }

    [Fact]
    public void Reference_vector_1_growth_interval_two_with_backoff_quarter()
    {
        var scaler = new LossScaler(4f, 2f, 0.25f, 2);
        scaler.Update(false);
        Assert.Equal((4f, 1), (scaler.Scale, scaler.GrowthTracker));
        scaler.Update(false);
        Assert.Equal((8f, 0), (scaler.Scale, scaler.GrowthTracker));
        scaler.Update(true);
        Assert.Equal((2f, 0), (scaler.Scale, scaler.GrowthTracker));
    }

    [Fact]
    public void Reference_vector_2_interval_one()
    {
        var scaler = new LossScaler(128f, 2f, 0.5f, 1);
        float[] expected = [256f, 512f, 256f, 512f];
        bool[] flags = [false, false, true, false];
        for (int i = 0; i < flags.Length; i++)
        {
            scaler.Update(flags[i]);
            Assert.Equal(expected[i], scaler.Scale);
            Assert.Equal(0, scaler.GrowthTracker);
        }
    }

    [Fact]
    public void Reference_vector_3_growth_only_to_a_finite_value()
    {
        var scaler = new LossScaler(1e38f, 16f, 0.5f, 1);
        scaler.Update(false);
        Assert.Equal(1e38f, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
    }

    [Fact]
    public void No_floor_the_scale_falls_below_one()
    {
        var scaler = new LossScaler(2f);
        for (int i = 0; i < 30; i++)
        {
            scaler.Update(true);
        }

        Assert.Equal(MathF.Pow(2, -29), scaler.Scale);
    }

    /// <summary>A long random sequence against the rule written out independently in double-checked FP32.</summary>
    [Theory]
    [InlineData(1, 3, 0.02)]
    [InlineData(2, 7, 0.2)]
    [InlineData(3, 1, 0.5)]
    public void Long_sequences_follow_the_update_rule(int seed, int interval, double overflowRate)
    {
        var random = new Random(seed);
        var scaler = new LossScaler(1024f, 3f, 0.25f, interval);
        float scale = 1024f;
        int tracker = 0;
        int growths = 0, backoffs = 0;
        scaler.ScaleChanged += (_, change) =>
        {
            if (change.Kind == LossScaleChangeKind.Growth)
            {
                growths++;
            }
            else
            {
                backoffs++;
            }
        };
        int expectedGrowths = 0, expectedBackoffs = 0;
        for (int step = 0; step < 20_000; step++)
        {
            bool found = random.NextDouble() < overflowRate;
            scaler.Update(found);
            if (found)
            {
                scale *= 0.25f;
                tracker = 0;
                expectedBackoffs++;
            }
            else if (tracker + 1 == interval)
            {
                float candidate = scale * 3f;
                if (float.IsFinite(candidate))
                {
                    scale = candidate;
                    expectedGrowths++;
                }

                tracker = 0;
            }
            else
            {
                tracker++;
            }

            Assert.Equal(BitConverter.SingleToUInt32Bits(scale), BitConverter.SingleToUInt32Bits(scaler.Scale));
            Assert.Equal(tracker, scaler.GrowthTracker);
        }

        Assert.Equal(expectedGrowths, growths);
        Assert.Equal(expectedBackoffs, backoffs);
    }

    [Fact]
    public void Disabled_scaler_keeps_scale_one_and_an_empty_state()
    {
        LossScaler scaler = LossScaler.Disabled();
        scaler.Update(true);
        Assert.False(scaler.Enabled);
        Assert.Equal(1f, scaler.Scale);
        Assert.Empty(scaler.SaveState());
        Assert.Throws<InvalidOperationException>(() => scaler.LoadState(new LossScaler().SaveState()));
    }

    [Fact]
    public void State_round_trips_exactly_and_a_bad_state_changes_nothing()
    {
        var source = new LossScaler(3.3f, 2.5f, 0.3f, 5);
        source.Update(false);
        source.Update(true);
        source.Update(false);
        var target = new LossScaler();
        target.LoadState(source.SaveState());
        Assert.Equal(source.Scale, target.Scale);
        Assert.Equal(source.GrowthTracker, target.GrowthTracker);
        Assert.Equal(source.GrowthInterval, target.GrowthInterval);
        Assert.Equal(source.BackoffFactor, target.BackoffFactor);

        var bad = new Dictionary<string, string>(source.SaveState()) { ["_growth_tracker"] = "9" };
        var ex = Assert.Throws<FormatException>(() => target.LoadState(bad));
        Assert.Contains("_growth_tracker", ex.Message);
        var missing = new Dictionary<string, string>(source.SaveState());
        missing.Remove("scale");
        Assert.Throws<FormatException>(() => target.LoadState(missing));
        Assert.Equal(source.Scale, target.Scale);
        Assert.Throws<InvalidOperationException>(() => target.LoadState(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData(0f, 2f, 0.5f, 1)]
    [InlineData(1f, 1f, 0.5f, 1)]
    [InlineData(1f, 2f, 1f, 1)]
    [InlineData(1f, 2f, 0.5f, 0)]
    [InlineData(float.PositiveInfinity, 2f, 0.5f, 1)]
    public void Invalid_settings_are_refused(float init, float growth, float backoff, int interval) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LossScaler(init, growth, backoff, interval));
}
