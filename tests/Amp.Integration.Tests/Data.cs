namespace Amp.Integration.Tests;

/// <summary>Deterministic test data.</summary>
internal static class Data
{
    /// <summary>Standard normal samples (Box-Muller) from a seeded generator.</summary>
    public static float[] Gaussian(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            values[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return values;
    }
}
