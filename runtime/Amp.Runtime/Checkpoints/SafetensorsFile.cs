using System.Buffers.Binary;
using System.Text.Json;

namespace Amp.Checkpoints;

/// <summary>
/// One tensor of a safetensors file, as FP32 host values; an I64 tensor (a counter such as BatchNorm's
/// <c>num_batches_tracked</c>) carries its exact values in <see cref="Integers"/> and their FP32 image in Values.
/// </summary>
public sealed record SafetensorsTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>An I64 tensor of <paramref name="values"/>.</summary>
    public static SafetensorsTensor Int64(string name, int[] shape, long[] values) =>
        new(name, shape, values.Select(v => (float)v).ToArray()) { Integers = values };

    /// <summary>The exact values of an I64 tensor; null for a floating-point one.</summary>
    public long[]? Integers { get; init; }

    /// <summary>The dtype it is written as (F32, or I64 when <see cref="Integers"/> is set).</summary>
    public string DType => Integers is null ? "F32" : "I64";
}

/// <summary>
/// The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and data_offsets, then the raw little-endian data; string pairs under __metadata__). Writes F32 and I64; reads
/// F32, BF16, F16 and I64. Reading validates the whole file before it returns anything: a truncated file, an oversized or
/// malformed header, an unknown dtype, offsets outside the data or a size that disagrees with the shape is refused
/// with an <see cref="InvalidDataException"/> naming the problem.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Headers larger than this are refused before they are read (the format's reference reader uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The metadata key of the SHA-256 of the data section (hex), written by <see cref="Write"/> and checked by <see cref="Read"/> when present.</summary>
    public const string ChecksumKey = "amp.sha256";

    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Writes the tensors (in the given order) and metadata to a temporary file beside <paramref name="path"/>, then
    /// renames it over <paramref name="path"/>: a reader sees the old file or the new one, never half of one. The data's
    /// SHA-256 goes into the metadata (<see cref="ChecksumKey"/>). Temporary files that an earlier save left behind (a
    /// process killed mid-save) are removed first; one another process is still writing is left alone.
    /// </summary>
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string placeholder = new('0', 64);
        var withChecksum = new Dictionary<string, string>(metadata) { [ChecksumKey] = placeholder };
        var header = new Dictionary<string, object> { ["__metadata__"] = withChecksum };
        long offset = 0;
        foreach (SafetensorsTensor t in tensors)
        {
            long bytes = (long)t.Values.Length * (t.Integers is null ? 4 : 8);
            if (t.Shape.Aggregate(1L, (a, b) => a * b) != t.Values.Length || (t.Integers is { } ints && ints.Length != t.Values.Length))
            {
                throw new ArgumentException($"Tensor '{t.Name}' has {t.Values.Length} values but shape [{string.Join(", ", t.Shape)}].", nameof(tensors));
            }

            header.Add(t.Name, new Dictionary<string, object> { ["dtype"] = t.DType, ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + bytes } });
            offset += bytes;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int checksumAt = IndexOf(json, System.Text.Encoding.ASCII.GetBytes($"\"{ChecksumKey}\":\"{placeholder}\"")) + ChecksumKey.Length + 4;
        int padded = (json.Length + 7) / 8 * 8;
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            RemoveStaleTemporaries(directory, Path.GetFileName(full));
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++)
                {
                    stream.WriteByte((byte)' ');
                }

                using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                var chunk = new byte[ChunkBytes];
                foreach (SafetensorsTensor t in tensors)
                {
                    if (t.Integers is { } integers)
                    {
                        // Counters are a handful of scalars: one small write each.
                        byte[] data = new byte[integers.Length * 8];
                        for (int i = 0; i < integers.Length; i++)
                        {
                            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), integers[i]);
                        }

                        stream.Write(data);
                        sha.AppendData(data);
                        continue;
                    }

                    for (int start = 0; start < t.Values.Length; start += ChunkBytes / 4)
                    {
                        int count = Math.Min(ChunkBytes / 4, t.Values.Length - start);
                        for (int i = 0; i < count; i++)
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * 4), t.Values[start + i]);
                        }

                        stream.Write(chunk, 0, count * 4);
                        sha.AppendData(chunk, 0, count * 4);
                    }
                }

                // The checksum replaces its placeholder in place: same length, so the header's size does not change.
                stream.Position = 8 + checksumAt;
                stream.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Saving checkpoint '{full}' failed: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Deletes '.NAME.*.tmp' files of earlier, interrupted saves; a file another writer holds (FileShare.None) is skipped.</summary>
    private static void RemoveStaleTemporaries(string directory, string name)
    {
        foreach (string stale in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
        {
            try
            {
                using (new FileStream(stale, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                File.Delete(stale);
            }
            catch (IOException)
            {
                // Being written by a save in progress elsewhere: not stale.
            }
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        throw new InvalidOperationException("The checksum placeholder is missing from the header.");
    }

    /// <summary>
    /// Reads and validates a whole file: its tensors by name (as FP32) and its metadata. The header is checked in full
    /// (every entry, and offsets that cover the data exactly, without holes or overlaps, as the format requires)
    /// before any tensor is read; tensors are then read one at a time, so files larger than 2 GB work.
    /// </summary>
    public static (Dictionary<string, SafetensorsTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        string where = $"Checkpoint '{path}'";
        try
        {
            return ReadChecked(path, where);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException
            or System.Text.DecoderFallbackException or EndOfStreamException)
        {
            // Whatever the malformation, one kind of refusal that names the file.
            throw new InvalidDataException($"{where} is malformed: {e.Message}", e);
        }
    }

    private static (Dictionary<string, SafetensorsTensor> Tensors, Dictionary<string, string> Metadata) ReadChecked(string path, string where)
    {
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

            // One pass over the data: the tensors in offset order (they cover it exactly, checked above), hashed as
            // they are read when the writer recorded a checksum; nothing is returned before the hash is compared.
            using var sha = metadata.ContainsKey(ChecksumKey)
                ? System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256)
                : null;
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            foreach ((string name, Entry entry) in entries.OrderBy(e => e.Value.Begin))
            {
                tensors.Add(name, entry.DType == "I64"
                    ? SafetensorsTensor.Int64(name, entry.Shape, ReadIntegers(stream, dataStart, entry, sha))
                    : new SafetensorsTensor(name, entry.Shape, ReadValues(stream, dataStart, entry, sha)));
            }

            if (sha is not null)
            {
                CheckChecksum(sha, metadata[ChecksumKey], where);
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

    /// <summary>The data section's SHA-256 against the one the writer recorded: a flipped data bit is refused, not loaded.</summary>
    private static void CheckChecksum(System.Security.Cryptography.IncrementalHash sha, string expected, string where)
    {
        string actual = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{where}: the data does not match its checksum ({ChecksumKey} {expected}, data {actual}): the file is corrupt.");
        }
    }

    /// <summary>One tensor's values as FP32, read in 1 MiB chunks (a tensor may be larger than one byte array), each chunk hashed when a hash is given.</summary>
    private static float[] ReadValues(FileStream stream, long dataStart, Entry entry, System.Security.Cryptography.IncrementalHash? sha)
    {
        int size = entry.DType == "F32" ? 4 : 2;
        var values = new float[(entry.End - entry.Begin) / size];
        var chunk = new byte[ChunkBytes];
        stream.Position = dataStart + entry.Begin;
        for (int first = 0; first < values.Length;)
        {
            int count = Math.Min(ChunkBytes / size, values.Length - first);
            stream.ReadExactly(chunk, 0, count * size);
            sha?.AppendData(chunk, 0, count * size);
            for (int i = 0; i < count; i++)
            {
                values[first + i] = entry.DType switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(chunk.AsSpan(i * 4)),
                    "BF16" => Bf16.FromBits(BinaryPrimitives.ReadUInt16LittleEndian(chunk.AsSpan(i * 2))).ToFloat(),
                    _ => (float)BinaryPrimitives.ReadHalfLittleEndian(chunk.AsSpan(i * 2)),
                };
            }

            first += count;
        }

        return values;
    }

    /// <summary>An I64 tensor's values (counters: small, read in one piece), hashed when a hash is given.</summary>
    private static long[] ReadIntegers(FileStream stream, long dataStart, Entry entry, System.Security.Cryptography.IncrementalHash? sha)
    {
        var data = new byte[entry.End - entry.Begin];
        stream.Position = dataStart + entry.Begin;
        stream.ReadExactly(data);
        sha?.AppendData(data);
        var values = new long[data.Length / 8];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(i * 8));
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
                "I64" => 8,
                _ => throw new InvalidDataException($"{where}: tensor '{name}' has dtype {dtype}; Amp reads F32, BF16, F16 and I64."),
            };
            int[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            long[] offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            // The element count in checked steps: a huge shape once wrapped to 0 and passed as an empty tensor.
            long count = 1;
            foreach (int d in shape)
            {
                if (d < 0)
                {
                    throw new InvalidDataException($"{where}: tensor '{name}' has a negative dimension.");
                }

                count *= d;
                if (count > Array.MaxLength)
                {
                    throw new InvalidDataException($"{where}: tensor '{name}' has shape [{string.Join(", ", shape)}], more elements than Amp can hold ({Array.MaxLength:N0}).");
                }
            }
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
