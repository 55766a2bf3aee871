using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>The generated source, snapshot by snapshot: the reviewer's documentation of what the generator writes.</summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("Bf16")]
    [InlineData("Fp16")]
    [InlineData("Fp32")]
    public void Design_mlp(string precision) => Check(Models.Mlp(precision), "Demo.Classifier.Amp.g.cs", $"Mlp{precision}");

    [Fact]
    public void Cnn_with_convolutions_and_pooling() => Check(Models.Cnn, "Demo.Cnn.Amp.g.cs", "Cnn");

    [Fact]
    public void Every_op() => Check(Models.EveryOp, "Demo.EveryOp.Amp.g.cs", "EveryOp");

    [Fact]
    public void Gpt_with_modules_and_block_array()
    {
        Check(Models.Gpt, "Demo.Gpt.Amp.g.cs", "Gpt");
        Check(Models.Gpt, "Demo.Block.Amp.g.cs", "GptBlockModule");
    }

    /// <summary>[Recompute] on the block array: each block's forward again before its backward, inside the shared body.</summary>
    [Fact]
    public void Gpt_with_recompute_and_fp32_gradients() =>
        Check(Models.Gpt.Replace("readonly Block[] blocks", "[Recompute] readonly Block[] blocks").Replace("[Autocast(Precision.Bf16)]", "[Autocast(Precision.Bf16, Fp32Gradients = true)]"),
            "Demo.Gpt.Amp.g.cs", "GptRecompute");

    [Fact]
    public void Precision_variants_of_one_definition()
    {
        Check(Models.Variants, "Demo.Multi.Amp.g.cs", "Variants");
        Check(Models.Variants, "Demo.Multi.Fp16.Amp.g.cs", "VariantsFp16");
    }

    [Fact]
    public void KeepFp32_on_field_and_method() => Check(Models.KeepFp32, "Demo.Kept.Amp.g.cs", "KeepFp32");

    /// <summary>[Autocast(.., Tf32 = true)]: the FP32 products pass Tf32 (forward and backward), the BF16 ones do not.</summary>
    [Fact]
    public void Tf32_products()
    {
        Check(Models.Tf32, "Demo.Tf32Mlp.Amp.g.cs", "Tf32");
        Check(Models.Tf32, "Demo.Tf32Mlp.Fp32.Amp.g.cs", "Tf32Fp32");
    }

    /// <summary>Op catalog v2 (issue 18): the generated code of every new op, the expansions, the tied head and the tuple.</summary>
    [Fact]
    public void Catalog_v2_ops() => Check(Models.CatalogV2, "Demo.CatalogV2.Amp.g.cs", "CatalogV2");

    [Fact]
    public void Explicit_overrides() => Check(Models.Overrides, "Demo.Overrides.Amp.g.cs", "Overrides");

    private static void Check(string source, string hint, string snapshot)
    {
        var (sources, generator, output) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.True(output.IsEmpty, "generated code does not compile:\n" + string.Join("\n", output));
        string text = sources.Single(s => s.HintName == hint).SourceText.ToString();

        // For readers: no line past 160 characters, no placeholder (buffer or line token) left unresolved.
        string[] lines = text.Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 160, $"{snapshot}: a line of {l.Length} characters: {l}"));
        Assert.DoesNotContain("\u00a7", text);
        Snapshot.Verify(text, snapshot);
    }
}
