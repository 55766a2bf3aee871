using System.Buffers.Binary;
using System.Text;
using Amp;
using Amp.Data;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Safetensors checkpoints: resume equality, PyTorch layout, and every corruption refused with nothing changed.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("amp-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>
    /// weightsOnly writes exactly PyTorch's state_dict keys — parameters then buffers (BatchNorm's running statistics and
    /// its I64 counter) — with no optimizer, scaler or Dropout state, and a fresh model loads it back to the same outputs.
    /// </summary>
    [Fact]
    public void Weights_only_checkpoints_hold_the_state_dict_and_load_back()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        var batch = new Batch { { "image", Data.Gaussian(4 * 784, seed: 2) }, { "label", new[] { 1, 2, 3, 4 } } };
        string path = Path.Combine(directory, "weights.safetensors");
        float[] expected;
        string[] stateDict;
        Init.ManualSeed(3);
        using (ICompiledModel trained = new Models.DigitNet().Compile(device, Precision.Bf16, new TrainingOptions()))
        {
            trained.TrainStep(batch);
            trained.TrainStep(batch);
            trained.SaveSafetensors(path, weightsOnly: true);
            expected = trained.Forward(batch);
            stateDict = [.. trained.Parameters.Select(p => p.Name), .. trained.Buffers.Select(b => b.Name)];
        }

        (var tensors, var metadata) = Amp.Checkpoints.SafetensorsFile.Read(path);
        Assert.Equal(stateDict.Order(), tensors.Keys.Order());
        Assert.DoesNotContain(metadata.Keys, k => k.StartsWith("amp.optimizer", StringComparison.Ordinal) || k.StartsWith("amp.scaler", StringComparison.Ordinal) || k.StartsWith("amp.dropout", StringComparison.Ordinal));
        Assert.Contains(stateDict, n => n.EndsWith("num_batches_tracked", StringComparison.Ordinal));

        Init.ManualSeed(99);
        using ICompiledModel fresh = new Models.DigitNet().Compile(device, Precision.Bf16, new TrainingOptions());
        Assert.NotEqual(expected, fresh.Forward(batch));
        fresh.LoadSafetensors(path);
        Assert.Equal(expected, fresh.Forward(batch));
        Assert.Equal(0, fresh.OptimizerStep);
    }

    [Theory]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    public void Resumed_training_is_bit_identical_to_an_uninterrupted_run(Precision precision)
    {
        var task = new ClusterTask(seed: 8, batch: 16);
        var options = new TrainingOptions { AdamW = new AdamWHyperparameters(LearningRate: 1e-2f), Schedule = LearningRateSchedule.WarmupCosine(2, 8) };
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);

        using ICompiledModel straight = TrainingTests.Mlp(precision, device, options with { Scaler = new LossScaler(growthInterval: 2) });
        for (int i = 0; i < 6; i++)
        {
            straight.TrainStep(task.Batch(i));
        }

        string path = Path.Combine(directory, "run.safetensors");
        using (ICompiledModel first = TrainingTests.Mlp(precision, device, options with { Scaler = new LossScaler(growthInterval: 2) }))
        {
            for (int i = 0; i < 3; i++)
            {
                first.TrainStep(task.Batch(i));
            }

            first.SaveSafetensors(path);
        }

        // A fresh model with other initial weights: everything must come from the file.
        Init.ManualSeed(999);
        var scaler = new LossScaler(growthInterval: 2);
        using ICompiledModel resumed = precision == Precision.Fp16
            ? new Models.ClassifierFp16().Compile(device, options with { Scaler = scaler })
            : new Models.Classifier().Compile(device, options with { Scaler = scaler });
        resumed.LoadSafetensors(path);
        for (int i = 3; i < 6; i++)
        {
            resumed.TrainStep(task.Batch(i));
        }

        for (int i = 0; i < straight.Parameters.Count; i++)
        {
            Assert.Equal(straight.Parameters[i].ReadMaster(), resumed.Parameters[i].ReadMaster());
        }

        Assert.Equal(straight.TrainStep(task.Batch(6)), resumed.TrainStep(task.Batch(6)));
    }

    [Fact]
    public void Parameters_are_stored_under_pytorch_names_and_layouts()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = TrainingTests.Mlp(Precision.Bf16, device, new TrainingOptions());
        string path = Path.Combine(directory, "weights.safetensors");
        model.SaveSafetensors(path);
        var (tensors, metadata) = Amp.Checkpoints.SafetensorsFile.Read(path);
        Assert.Equal([256, 64], tensors["fc1.weight"].Shape);
        Assert.Equal([10], tensors["fc2.bias"].Shape);
        Assert.Equal(model.Parameters[0].ReadMaster(), tensors["fc1.weight"].Values);
        Assert.Equal("pt", metadata["format"]);
        Assert.DoesNotContain(Directory.GetFiles(directory), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Weights_saved_before_training_load_into_a_fresh_model_which_then_trains()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel source = TrainingTests.Mlp(Precision.Fp16, device, new TrainingOptions());
        string path = Path.Combine(directory, "initial.safetensors");
        source.SaveSafetensors(path);
        Assert.DoesNotContain("amp.optimizer_step", Amp.Checkpoints.SafetensorsFile.Read(path).Metadata.Keys);

        Init.ManualSeed(123);
        using ICompiledModel target = new Models.ClassifierFp16().Compile(device);
        target.LoadSafetensors(path);
        Assert.Equal(source.Parameters[0].ReadMaster(), target.Parameters[0].ReadMaster());
        Assert.Equal(source.TrainStep(new ClusterTask(seed: 2).Batch(0)), target.TrainStep(new ClusterTask(seed: 2).Batch(0)));
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "truncated", "truncated" },
        { "oversized-header", "more than the" },
        { "malformed-json", "malformed JSON header" },
        { "wrong-dtype", "dtype F64" },
        { "wrong-shape", "has shape [64, 256]" },
        { "missing-tensor", "has no tensor 'fc2.bias'" },
        { "short-data", "outside the" },
        { "duplicate-name", "names tensor 'fc2.weight' twice" },
        { "overlapping-offsets", "overlaps the tensor before it" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_corrupt_checkpoint_is_refused_and_nothing_changes(string corruption, string message)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel source = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        source.TrainStep(new ClusterTask(seed: 1).Batch(0));
        string good = Path.Combine(directory, "good.safetensors");
        source.SaveSafetensors(good);

        string bad = Path.Combine(directory, corruption + ".safetensors");
        File.WriteAllBytes(bad, Corrupt(File.ReadAllBytes(good), corruption));

        using ICompiledModel target = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        float[][] before = target.Parameters.Select(p => p.ReadMaster()).ToArray();
        var error = Assert.Throws<InvalidDataException>(() => target.LoadSafetensors(bad));
        Assert.Contains(message, error.Message);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], target.Parameters[i].ReadMaster());
        }

        // The good file still loads afterwards.
        target.LoadSafetensors(good);
        Assert.Equal(source.Parameters[0].ReadMaster(), target.Parameters[0].ReadMaster());
    }

    private static byte[] Corrupt(byte[] file, string corruption)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, headerLength);
        byte[] data = file[(8 + headerLength)..];
        return corruption switch
        {
            "truncated" => file[..(8 + (headerLength / 2))],
            "oversized-header" => [.. BitConverter.GetBytes((ulong)1 << 40), .. file[8..]],
            "malformed-json" => Rebuild(header.Replace("\"dtype\"", "\"dtype"), data),
            "wrong-dtype" => Rebuild(ReplaceFirst(header, "\"F32\"", "\"F64\""), data),
            "wrong-shape" => Rebuild(header.Replace("[256,64]", "[64,256]"), data),
            "missing-tensor" => Rebuild(header.Replace("\"fc2.bias\"", "\"fc2.extra\""), data),
            "duplicate-name" => Rebuild(header.Replace("\"fc2.bias\"", "\"fc2.weight\""), data),
            "overlapping-offsets" => Rebuild(ShiftSecondOffsets(header), data),
            _ => file[..^4],
        };
    }

    /// <summary>Moves the second tensor's data_offsets 4 bytes back, into the first tensor's bytes.</summary>
    private static string ShiftSecondOffsets(string header)
    {
        var offsets = System.Text.RegularExpressions.Regex.Matches(header, @"""data_offsets"":\[(\d+),(\d+)\]");
        var second = offsets[1];
        long begin = long.Parse(second.Groups[1].Value) - 4, end = long.Parse(second.Groups[2].Value) - 4;
        return header[..second.Index] + $"\"data_offsets\":[{begin},{end}]" + header[(second.Index + second.Length)..];
    }

    private static string ReplaceFirst(string text, string old, string replacement)
    {
        int at = text.IndexOf(old, StringComparison.Ordinal);
        return text[..at] + replacement + text[(at + old.Length)..];
    }

    private static byte[] Rebuild(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }
}
