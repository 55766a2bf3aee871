using System.Buffers.Binary;
using System.Text.Json;

namespace Amp.Checkpoints;

/// <summary>One tensor of a safetensors file, as FP32 host values.</summary>
public sealed record SafetensorsTensor(string Name, int[] Shape, float[] Values);

/// <summary>
/// The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and data_offsets, then the raw little-endian data; string pairs under __metadata__). Writes F32; reads F32,
/// BF16 and F16. Reading validates the whole file before it returns anything: a truncated file, an oversized or
/// malformed header, an unknown dtype, offsets outside the data or a size that disagrees with the shape is refused
/// with an <see cref="InvalidDataException"/> naming the problem.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Headers larger than this are refused before they are read (the format's reference reader uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes the tensors (in the given order) and metadata to a temporary file beside <paramref name="path"/>, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata };
        long offset = 0;
        foreach (SafetensorsTensor t in tensors)
        {
            long bytes = (long)t.Values.Length * 4;
            if (t.Shape.Aggregate(1L, (a, b) => a * b) != t.Values.Length)
            {
                throw new ArgumentException($"Tensor '{t.Name}' has {t.Values.Length} values but shape [{string.Join(", ", t.Shape)}].", nameof(tensors));
            }

            header.Add(t.Name, new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + bytes } });
            offset += bytes;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++)
                {
                    stream.WriteByte((byte)' ');
                }

                foreach (SafetensorsTensor t in tensors)
                {
                    var bytes = new byte[t.Values.Length * 4];
                    for (int i = 0; i < t.Values.Length; i++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), t.Values[i]);
                    }

                    stream.Write(bytes);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Reads and validates a whole file: its tensors by name (as FP32) and its metadata.</summary>
    public static (Dictionary<string, SafetensorsTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        string where = $"Checkpoint '{path}'";
        if (file.Length < 8)
        {
            throw new InvalidDataException($"{where} is truncated: {file.Length} bytes, shorter than the 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{where} declares a {headerLength}-byte header, more than the {MaxHeaderBytes}-byte limit.");
        }

        if ((long)headerLength > file.Length - 8)
        {
            throw new InvalidDataException($"{where} is truncated: the header needs {headerLength} bytes but only {file.Length - 8} follow.");
        }

        long dataStart = 8 + (long)headerLength;
        long dataLength = file.Length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where} has a malformed JSON header: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{where} has a header that is not a JSON object.");
            }

            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    ReadMetadata(entry.Value, metadata, where);
                    continue;
                }

                tensors.Add(entry.Name, ReadTensor(entry, file, dataStart, dataLength, where));
            }

            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string where)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where} has __metadata__ that is not an object of strings.");
        }

        foreach (JsonProperty pair in value.EnumerateObject())
        {
            metadata[pair.Name] = pair.Value.ValueKind == JsonValueKind.String
                ? pair.Value.GetString()!
                : throw new InvalidDataException($"{where} has __metadata__ entry '{pair.Name}' that is not a string.");
        }
    }

    private static SafetensorsTensor ReadTensor(JsonProperty entry, byte[] file, long dataStart, long dataLength, string where)
    {
        string name = entry.Name;
        try
        {
            JsonElement e = entry.Value;
            string dtype = e.GetProperty("dtype").GetString() ?? string.Empty;
            int size = dtype switch
            {
                "F32" => 4,
                "BF16" or "F16" => 2,
                _ => throw new InvalidDataException($"{where}: tensor '{name}' has dtype {dtype}; Amp reads F32, BF16 and F16."),
            };
            int[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            long[] offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long count = shape.Aggregate(1L, (a, b) => b < 0 ? throw new InvalidDataException($"{where}: tensor '{name}' has a negative dimension.") : a * b);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            {
                throw new InvalidDataException($"{where}: tensor '{name}' has data_offsets [{string.Join(", ", offsets)}] outside the {dataLength} data bytes (truncated file?).");
            }

            if (offsets[1] - offsets[0] != count * size)
            {
                throw new InvalidDataException($"{where}: tensor '{name}' has {offsets[1] - offsets[0]} bytes but {dtype} [{string.Join(", ", shape)}] needs {count * size}.");
            }

            var values = new float[count];
            ReadOnlySpan<byte> bytes = file.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0]));
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
                    "BF16" => Bf16.FromBits(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..])).ToFloat(),
                    _ => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]),
                };
            }

            return new SafetensorsTensor(name, shape, values);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: tensor '{name}' has a malformed header entry ({ex.Message}).", ex);
        }
    }

    internal static string Describe(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
