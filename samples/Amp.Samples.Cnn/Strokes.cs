namespace Amp.Samples.Cnn;

/// <summary>
/// The ten digits as pen strokes on a unit box (x right, y down, the glyph inside [0.2, 0.8] x [0.1, 0.9]): polylines a
/// renderer draws with a round pen. Curves are sampled arcs, so no font is needed anywhere.
/// </summary>
internal static class Strokes
{
    /// <summary>Per digit, its strokes; each stroke a polyline of (x, y) points.</summary>
    public static readonly (float X, float Y)[][][] Digits =
    [
        [Arc(0.5f, 0.5f, 0.26f, 0.38f, 0, 360)],
        [[(0.36f, 0.26f), (0.52f, 0.12f), (0.52f, 0.88f)], [(0.38f, 0.88f), (0.66f, 0.88f)]],
        [[.. Arc(0.5f, 0.34f, 0.24f, 0.22f, 200, 380), (0.26f, 0.88f), (0.76f, 0.88f)]],
        [Arc(0.49f, 0.31f, 0.22f, 0.19f, 210, 450), Arc(0.49f, 0.69f, 0.25f, 0.21f, 270, 510)],
        [[(0.62f, 0.88f), (0.62f, 0.12f), (0.22f, 0.64f), (0.80f, 0.64f)]],
        [[(0.74f, 0.12f), (0.32f, 0.12f), (0.29f, 0.46f)], Arc(0.48f, 0.64f, 0.26f, 0.24f, 225, 495)],
        [[(0.68f, 0.14f), (0.40f, 0.40f), (0.27f, 0.62f)], Arc(0.5f, 0.66f, 0.24f, 0.22f, 0, 360)],
        [[(0.24f, 0.12f), (0.78f, 0.12f), (0.44f, 0.88f)]],
        [Arc(0.5f, 0.30f, 0.20f, 0.18f, 0, 360), Arc(0.5f, 0.69f, 0.25f, 0.21f, 0, 360)],
        [Arc(0.5f, 0.34f, 0.24f, 0.22f, 0, 360), [(0.74f, 0.36f), (0.66f, 0.64f), (0.42f, 0.88f)]],
    ];

    /// <summary>An elliptic arc from <paramref name="from"/> to <paramref name="to"/> degrees (0 = right, 90 = down), every 15 degrees.</summary>
    private static (float X, float Y)[] Arc(float cx, float cy, float rx, float ry, float from, float to)
    {
        int steps = (int)MathF.Ceiling(MathF.Abs(to - from) / 15f);
        var points = new (float, float)[steps + 1];
        for (int i = 0; i <= steps; i++)
        {
            float a = (from + ((to - from) * i / steps)) * MathF.PI / 180f;
            points[i] = (cx + (rx * MathF.Cos(a)), cy + (ry * MathF.Sin(a)));
        }

        return points;
    }
}
