namespace Amp;

/// <summary>
/// The generator of initial weights, like <c>torch.manual_seed</c>: layers draw from it when they are
/// constructed, so seeding before <c>new Model()</c> gives the same weights every time. It is per thread, so
/// models built on different threads (parallel tests) do not disturb each other; a thread starts at seed 0.
/// </summary>
public static class Init
{
    [ThreadStatic]
    private static SplitMix64? current;

    private static SplitMix64 Current => current ??= new SplitMix64(0);

    /// <summary>Restarts this thread's weight generator at <paramref name="seed"/>.</summary>
    public static void ManualSeed(long seed) => current = new SplitMix64((ulong)seed);

    /// <summary>The next 64 bits of this thread's stream: the seed of a compiled model's Dropout masks.</summary>
    internal static ulong NextSeed() => (ulong)(Current.NextDouble() * ulong.MaxValue);

    /// <summary>Fills with U(-bound, bound), the PyTorch default for Linear weights and biases (bound = 1/sqrt(in)).</summary>
    internal static void Uniform(Span<float> values, double bound)
    {
        SplitMix64 rng = Current;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * rng.NextDouble()) - 1) * bound);
        }
    }

    /// <summary>Fills with N(0, 1) (Box-Muller), the PyTorch default for Embedding weights.</summary>
    internal static void Normal(Span<float> values)
    {
        SplitMix64 rng = Current;
        for (int i = 0; i < values.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    /// <summary>SplitMix64: tiny, fast, and the same sequence on every runtime version.</summary>
    private sealed class SplitMix64(ulong state)
    {
        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        private ulong Next()
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
