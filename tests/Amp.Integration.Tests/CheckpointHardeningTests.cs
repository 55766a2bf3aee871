using System.Buffers.Binary;
using System.Text;
using Amp;
using Amp.Checkpoints;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Checkpoint faults that once slipped through: one kind of refusal, nothing half changed, no leftovers.</summary>
public sealed class CheckpointHardeningTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("amp-checkpoint-hardening-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static TheoryData<string, string> MalformedHeaders => new()
    {
        // A tensor name that is not UTF-8 (was an InvalidOperationException from transcoding).
        { "bad-utf8", "malformed" },
        // A shape of 2^64 elements with zero bytes of data (the element count once wrapped to 0 and loaded).
        { "wrapping-shape", "more elements than Amp can hold" },
        // An offset that is not an integer (was a FormatException).
        { "fractional-offset", "malformed" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void A_malformed_header_is_an_InvalidDataException_that_names_the_file(string kind, string message)
    {
        string path = Path.Combine(directory, kind + ".safetensors");
        string tensor = kind switch
        {
            "wrapping-shape" => "\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,0]}",
            "fractional-offset" => "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}",
            _ => "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
        };
        byte[] json = Encoding.UTF8.GetBytes("{" + tensor + "}");
        if (kind == "bad-utf8")
        {
            json[2] = 0xFF;
        }

        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, 0, 0, 128, 63]);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_flipped_data_bit_fails_the_checksum()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        string path = Path.Combine(directory, "flipped.safetensors");
        model.SaveSafetensors(path);
        byte[] file = File.ReadAllBytes(path);
        file[^9] ^= 0x10;
        File.WriteAllBytes(path, file);

        float[] before = model.Parameters[0].ReadMaster();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path));
        Assert.Contains("checksum", e.Message);
        Assert.Equal(before, model.Parameters[0].ReadMaster());
    }

    [Fact]
    public void A_refused_load_creates_no_optimizer_state_on_an_untrained_model()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel trained = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        trained.TrainStep(new ClusterTask(seed: 2).Batch(0));
        string good = Path.Combine(directory, "trained.safetensors"), bad = Path.Combine(directory, "bad-step.safetensors");
        trained.SaveSafetensors(good);
        Rewrite(good, bad, metadata => metadata["amp.optimizer_step"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using ICompiledModel fresh = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        Assert.Contains("amp.optimizer_step", Assert.Throws<InvalidDataException>(() => fresh.LoadSafetensors(bad)).Message);

        // Still untrained: it saves weights only, as before the refused load.
        string after = Path.Combine(directory, "after.safetensors");
        fresh.SaveSafetensors(after);
        Assert.False(SafetensorsFile.Read(after).Metadata.ContainsKey("amp.optimizer_step"));
    }

    [Fact]
    public void Stale_temporary_files_are_removed_by_the_next_save_and_a_failed_save_names_the_target()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel model = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        string target = Path.Combine(directory, "model.safetensors");
        string stale = Path.Combine(directory, ".model.safetensors.0123456789abcdef.tmp");
        string inUse = Path.Combine(directory, ".model.safetensors.fedcba9876543210.tmp");
        File.WriteAllBytes(stale, new byte[1024]);
        using (new FileStream(inUse, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            model.SaveSafetensors(target);
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(inUse));
        }

        string missing = Path.Combine(directory, "no-such-directory", "model.safetensors");
        var e = Assert.Throws<IOException>(() => model.SaveSafetensors(missing));
        Assert.Contains(missing, e.Message);
        Assert.DoesNotContain(".tmp", e.Message.Split(':')[0]);
    }

    [Theory]
    [InlineData(Precision.Fp16, Precision.Fp32)]
    [InlineData(Precision.Fp32, Precision.Fp16)]
    [InlineData(Precision.Fp16, Precision.Bf16)]
    public void Precision_variants_of_one_definition_load_each_others_checkpoints(Precision saved, Precision loaded)
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        Init.ManualSeed(3);
        var definition = new ClassifierAll();
        using ICompiledModel source = definition.Compile(device, saved, new TrainingOptions());
        source.TrainStep(new ClusterTask(seed: 4).Batch(0));
        string path = Path.Combine(directory, $"{saved}.safetensors");
        source.SaveSafetensors(path);

        using ICompiledModel target = definition.Compile(device, loaded, new TrainingOptions());
        var notices = new List<DeviceNotice>();
        device.Notice += (_, n) => notices.Add(n);
        target.LoadSafetensors(path);

        Assert.Equal(source.Parameters[0].ReadMaster(), target.Parameters[0].ReadMaster());
        Assert.Equal(source.OptimizerStep, target.OptimizerStep);
        Assert.Empty(notices);
    }

    [Fact]
    public void A_checkpoint_of_another_model_with_the_same_names_is_loaded_and_said_so()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ICompiledModel other = TrainingTests.Mlp(Precision.Fp32, device, new TrainingOptions());
        string path = Path.Combine(directory, "other.safetensors");
        other.SaveSafetensors(path);

        using ICompiledModel target = new ClassifierAll().Compile(device, Precision.Fp32, new TrainingOptions());
        var notices = new List<DeviceNotice>();
        device.Notice += (_, n) => notices.Add(n);
        target.LoadSafetensors(path);

        DeviceNotice notice = Assert.Single(notices);
        Assert.Equal(DeviceNoticeKind.CheckpointFromOtherModel, notice.Kind);
        Assert.Contains(nameof(ClassifierFp32), notice.Message);
    }

    /// <summary>The same tensors with edited metadata (Write records a fresh checksum).</summary>
    private static void Rewrite(string from, string to, Action<Dictionary<string, string>> edit)
    {
        (Dictionary<string, SafetensorsTensor> tensors, Dictionary<string, string> metadata) = SafetensorsFile.Read(from);
        edit(metadata);
        metadata.Remove(SafetensorsFile.ChecksumKey);
        SafetensorsFile.Write(to, [.. tensors.Values], metadata);
    }
}
