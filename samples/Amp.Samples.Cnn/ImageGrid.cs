using System.Buffers.Binary;
using System.IO.Compression;
using Amp.Data;

namespace Amp.Samples.Cnn;

/// <summary>
/// A PNG of test images with their predictions: each tile is the 28x28 image (scaled 2x) over the predicted digit,
/// drawn with the same pen strokes as the data (no font needed), green when right and red when wrong.
/// </summary>
internal static class ImageGrid
{
    private const int Scale = 2, Label = 20, Gap = 4, Columns = 8;

    public static string Write(string path, Batch test, int[] predictions, int count)
    {
        float[] images = test.Get<float[]>("image");
        int[] labels = test.Get<int[]>("label");
        count = Math.Min(count, predictions.Length);
        int tileW = (Digits.Size * Scale) + Gap, tileH = (Digits.Size * Scale) + Label + Gap;
        int rows = (count + Columns - 1) / Columns, width = Columns * tileW, height = rows * tileH;
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        var glyph = new float[Digits.Size * Digits.Size];
        for (int i = 0; i < count; i++)
        {
            int x0 = i % Columns * tileW, y0 = i / Columns * tileH;
            ReadOnlySpan<float> image = images.AsSpan(i * Digits.Size * Digits.Size, Digits.Size * Digits.Size);
            for (int y = 0; y < Digits.Size * Scale; y++)
            {
                for (int x = 0; x < Digits.Size * Scale; x++)
                {
                    byte v = (byte)(255 * Math.Clamp(1f - image[(y / Scale * Digits.Size) + (x / Scale)], 0f, 1f));
                    Set(rgb, width, x0 + x, y0 + y, v, v, v);
                }
            }

            // The prediction, drawn clean (no jitter or noise) at a fixed pen, into the strip under the image.
            Digits.Render(predictions[i], new Random(0), glyph, clean: true);
            bool right = predictions[i] == labels[i];
            for (int y = 0; y < Label; y++)
            {
                for (int x = 0; x < Label; x++)
                {
                    float ink = Math.Clamp(glyph[(y * Digits.Size / Label * Digits.Size) + (x * Digits.Size / Label)], 0f, 1f);
                    byte fade = (byte)(255 * (1 - ink));
                    Set(rgb, width, x0 + ((Digits.Size * Scale) - Label) / 2 + x, y0 + (Digits.Size * Scale) + y,
                        right ? fade : (byte)255, right ? (byte)(255 - (ink * 100)) : fade, fade);
                }
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, Png(rgb, width, height));
        return path;
    }

    private static void Set(byte[] rgb, int width, int x, int y, byte r, byte g, byte b)
    {
        int o = ((y * width) + x) * 3;
        rgb[o] = r;
        rgb[o + 1] = g;
        rgb[o + 2] = b;
    }

    /// <summary>An 8-bit RGB PNG: signature, IHDR, one zlib IDAT of filter-0 scanlines, IEND.</summary>
    private static byte[] Png(byte[] rgb, int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(rgb, y * width * 3, width * 3);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] tag = System.Text.Encoding.ASCII.GetBytes(type);
        png.Write(tag);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32([.. tag, .. data]));
        png.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
