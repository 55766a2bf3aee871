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

    /// <summary>
    /// Reads and validates a whole file: its tensors by name (as FP32) and its metadata. The header is checked in full
    /// (every entry, and offsets that cover the data exactly, without holes or overlaps, as the format requires)
    /// before any tensor is read; tensors are then read one at a time, so files larger than 2 GB work.
    /// </summary>
    public static (Dictionary<string, SafetensorsTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        string where = $"Checkpoint '{path}'";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < 8)
        {
            throw new InvalidDataException($"{where} is truncated: {length} bytes, shorter than the 8-byte header length.");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{where} declares a {headerLength}-byte header, more than the {MaxHeaderBytes}-byte limit.");
        }

        if ((long)headerLength > length - 8)
        {
            throw new InvalidDataException($"{where} is truncated: the header needs {headerLength} bytes but only {length - 8} follow.");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
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

            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata, where);
                }
                else if (!entries.TryAdd(property.Name, ReadEntry(property, dataLength, where)))
                {
                    throw new InvalidDataException($"{where} names tensor '{property.Name}' twice.");
                }
            }

            CheckCoverage(entries, dataLength, where);
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            foreach ((string name, Entry entry) in entries)
            {
                tensors.Add(name, new SafetensorsTensor(name, entry.Shape, ReadValues(stream, dataStart, entry)));
            }

            return (tensors, metadata);
        }
    }

    private sealed record Entry(string DType, int[] Shape, long Begin, long End);

    /// <summary>The data must be indexed entirely, without holes or overlaps.</summary>
    private static void CheckCoverage(Dictionary<string, Entry> entries, long dataLength, string where)
    {
        long expected = 0;
        foreach ((string name, Entry entry) in entries.OrderBy(e => e.Value.Begin).ThenBy(e => e.Value.End))
        {
            if (entry.Begin != expected)
            {
                throw new InvalidDataException(entry.Begin < expected
                    ? $"{where}: tensor '{name}' overlaps the tensor before it (data_offsets start at {entry.Begin}, expected {expected})."
                    : $"{where}: the data has a hole before tensor '{name}' (bytes {expected} to {entry.Begin}).");
            }

            expected = entry.End;
        }

        if (expected != dataLength)
        {
            throw new InvalidDataException($"{where}: the tensors cover {expected} of the {dataLength} data bytes.");
        }
    }

    private static float[] ReadValues(FileStream stream, long dataStart, Entry entry)
    {
        var bytes = new byte[entry.End - entry.Begin];
        stream.Position = dataStart + entry.Begin;
        stream.ReadExactly(bytes);
        int size = entry.DType == "F32" ? 4 : 2;
        var values = new float[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = entry.DType switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)),
                "BF16" => Bf16.FromBits(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2))).ToFloat(),
                _ => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2)),
            };
        }

        return values;
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

    private static Entry ReadEntry(JsonProperty property, long dataLength, string where)
    {
        string name = property.Name;
        try
        {
            JsonElement e = property.Value;
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

            if (offsets[1] - offsets[0] != count * size || count > Array.MaxLength)
            {
                throw new InvalidDataException($"{where}: tensor '{name}' has {offsets[1] - offsets[0]} bytes but {dtype} [{string.Join(", ", shape)}] needs {count * size}.");
            }

            return new Entry(dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: tensor '{name}' has a malformed header entry ({ex.Message}).", ex);
        }
    }

    internal static string Describe(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
