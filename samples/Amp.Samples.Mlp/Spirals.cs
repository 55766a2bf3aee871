using Amp.Data;

namespace Amp.Samples.Mlp;

/// <summary>
/// Five interleaved spiral arms in the plane, lifted to 64 features by fixed random Fourier features
/// (sin(a . p + b)): generated from a seed at start, nothing downloaded. Every batch is a fresh draw.
/// </summary>
public sealed class Spirals
{
    public const int Arms = 5;
    public const int Features = 64;
    private readonly double[] projection = new double[Features * 3];
    private readonly int seed;

    public Spirals(int seed)
    {
        this.seed = seed;
        var random = new Random(seed);
        for (int j = 0; j < Features; j++)
        {
            projection[(3 * j) + 0] = Normal(random) * 2.5;
            projection[(3 * j) + 1] = Normal(random) * 2.5;
            projection[(3 * j) + 2] = random.NextDouble() * 2 * Math.PI;
        }
    }

    /// <summary>Batch <paramref name="index"/> of <paramref name="size"/> points (the same index gives the same batch).</summary>
    public Batch Batch(int index, int size)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index)); // deterministic (HashCode.Combine is seeded per process)
        var x = new float[size * Features];
        var y = new int[size];
        for (int i = 0; i < size; i++)
        {
            int arm = random.Next(Arms);
            double t = random.NextDouble();
            double angle = (arm * 2 * Math.PI / Arms) + (t * 5.0) + (Normal(random) * 0.35);
            double px = t * Math.Cos(angle), py = t * Math.Sin(angle);
            for (int j = 0; j < Features; j++)
            {
                x[(i * Features) + j] = (float)Math.Sin((projection[3 * j] * px) + (projection[(3 * j) + 1] * py) + projection[(3 * j) + 2]);
            }

            y[i] = arm;
        }

        return new Batch { { "x", x }, { "y", y } };
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
