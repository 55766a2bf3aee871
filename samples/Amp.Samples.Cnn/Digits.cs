using Amp.Data;

namespace Amp.Samples.Cnn;

/// <summary>
/// Handwriting-like 28x28 digits made at start, without a download or a font: each digit's strokes (<see cref="Strokes"/>)
/// under a random rotation, scale, shear and shift, with per-point jitter, a random pen width and Gaussian pixel noise,
/// rendered with an anti-aliased round pen. Batch <c>k</c> of a stream is a pure function of (seed, k), so every
/// precision trains on the same images; the held-out set comes from its own seed and is never trained on.
/// </summary>
internal sealed class Digits(int seed)
{
    public const int Size = 28, Classes = 10;

    /// <summary>Training batch <paramref name="index"/> (or, with a negative index, a held-out set): images [n, 1, 28, 28] and labels [n].</summary>
    public Batch Batch(int index, int count)
    {
        // Not HashCode.Combine: it is seeded per process, so the images (and every figure of the run) would change each run.
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var pixels = new float[count * Size * Size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(Classes);
            Render(labels[i], random, pixels.AsSpan(i * Size * Size, Size * Size));
        }

        return new Batch { { "image", pixels }, { "label", labels } };
    }

    /// <summary>Draws one digit into <paramref name="image"/> (0 background, about 1 on the stroke, then noise); <paramref name="clean"/> draws it upright, without jitter or noise.</summary>
    public static void Render(int digit, Random random, Span<float> image, bool clean = false)
    {
        float angle = Uniform(random, -0.26f, 0.26f), scale = Uniform(random, 0.78f, 1.08f), aspect = Uniform(random, 0.85f, 1.15f);
        float shear = Uniform(random, -0.25f, 0.25f), dx = Uniform(random, -0.1f, 0.1f), dy = Uniform(random, -0.08f, 0.08f);
        float pen = Uniform(random, 0.9f, 1.7f), jitter = 0.025f, noise = 0.15f;
        if (clean)
        {
            (angle, scale, aspect, shear, dx, dy, pen, jitter, noise) = (0f, 1f, 1f, 0f, 0f, 0f, 1.6f, 0f, 0f);
        }

        (float cos, float sin) = (MathF.Cos(angle), MathF.Sin(angle));
        var segments = new List<(float X0, float Y0, float X1, float Y1)>();
        foreach ((float X, float Y)[] stroke in Strokes.Digits[digit])
        {
            (float X, float Y)? last = null;
            foreach ((float x, float y) in stroke)
            {
                // About the glyph's centre: jitter, shear, aspect and scale, rotation, then the shift; to pixels.
                float u = x - 0.5f + Uniform(random, -jitter, jitter), v = y - 0.5f + Uniform(random, -jitter, jitter);
                u = (u + (shear * v)) * scale * aspect;
                v *= scale;
                float px = ((0.5f + dx + (cos * u) - (sin * v)) * Size) - 0.5f, py = ((0.5f + dy + (sin * u) + (cos * v)) * Size) - 0.5f;
                if (last is { } p)
                {
                    segments.Add((p.X, p.Y, px, py));
                }

                last = (px, py);
            }
        }

        for (int r = 0; r < Size; r++)
        {
            for (int c = 0; c < Size; c++)
            {
                float distance = float.MaxValue;
                foreach ((float x0, float y0, float x1, float y1) in segments)
                {
                    distance = MathF.Min(distance, Distance(c, r, x0, y0, x1, y1));
                }

                // An anti-aliased pen: full ink within the radius, a one-pixel ramp outside it.
                float ink = Math.Clamp(pen + 0.5f - distance, 0f, 1f);
                image[(r * Size) + c] = ink + (noise * Gaussian(random));
            }
        }
    }

    private static float Distance(float px, float py, float x0, float y0, float x1, float y1)
    {
        float vx = x1 - x0, vy = y1 - y0, length = (vx * vx) + (vy * vy);
        float t = length == 0 ? 0 : Math.Clamp((((px - x0) * vx) + ((py - y0) * vy)) / length, 0f, 1f);
        float ex = px - (x0 + (t * vx)), ey = py - (y0 + (t * vy));
        return MathF.Sqrt((ex * ex) + (ey * ey));
    }

    private static float Uniform(Random random, float low, float high) => low + ((high - low) * random.NextSingle());

    private static float Gaussian(Random random) =>
        MathF.Sqrt(-2f * MathF.Log(1f - random.NextSingle())) * MathF.Cos(2f * MathF.PI * random.NextSingle());
}
