using System.Text.RegularExpressions;

namespace Amp.Generator.Tests;

/// <summary>
/// One body per module: the instances of a module whose code is the same run one generated forward and backward,
/// called with each instance's weights and slots, so the generated code grows with the distinct modules, not depth.
/// </summary>
public sealed class OutlinerTests
{
    private static string Generate(int blocks)
    {
        var (sources, generator, output) = GeneratorHarness.Run(Models.Gpt.Replace("const int BlockCount = 2;", $"const int BlockCount = {blocks};"));
        Assert.Empty(generator);
        Assert.Empty(output);
        return sources.Single(s => s.HintName == "Demo.Gpt.Amp.g.cs").SourceText.ToString();
    }

    private static int Count(string text, string pattern) => Regex.Matches(text, pattern).Count;

    [Fact]
    public void A_block_array_runs_one_body_called_once_per_instance()
    {
        string code = Generate(4);

        Assert.Equal(1, Count(code, @"private void BlockForward\("));
        Assert.Equal(1, Count(code, @"private void BlockBackward\("));
        Assert.Equal(4, Count(code, @"\bBlockForward\(run, blockInstances\[\d\]"));
        Assert.Equal(4, Count(code, @"\bBlockBackward\(run, blockInstances\[\d\]"));
        Assert.Contains("// blocks.3", code);
        Assert.Contains("blocks_3_ln1_weight", code);

        // The body reads its instance's parameters and slots, never another instance's field.
        string body = code.Substring(code.IndexOf("private void BlockForward(", StringComparison.Ordinal));
        body = body.Substring(0, body.IndexOf("private sealed class BlockInstance", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"\bblocks_\d", body);
        Assert.Contains("p.ln1_weight.Master", body);
        Assert.Matches(@"run\.Buffer\(p\.Slots\[\d+\]", body);
    }

    [Fact]
    public void Names_stay_per_instance_in_the_plan()
    {
        string code = Generate(4);
        foreach (string name in new[] { "blocks.1.ln1", "blocks.2.attn.q", "blocks.3.down" })
        {
            Assert.Contains($"new(\"{name}\", AmpKind.", code);
        }
    }

    [Fact]
    public void Generated_code_grows_with_distinct_modules_not_with_depth()
    {
        string four = Generate(4), eight = Generate(8);

        // Every kernel call of a block is in the text once however deep the model: the extra blocks add a call each.
        foreach (string kernel in new[] { @"device\.Gemm\(", @"device\.LayerNorm\(", @"device\.NormBackward\(", @"run\.Grad<" })
        {
            Assert.Equal(Count(four, kernel), Count(eight, kernel));
        }

        // Outside the bodies: the recompute of each block's two residual sums, placed before the first backward step
        // that reads the residual stream (the head's), a statement each.
        Assert.Equal(Count(four, @"run\.Map<") + (4 * 2), Count(eight, @"run\.Map<"));

        Assert.Equal(Count(four, @"private readonly struct Chain\d+ "), Count(eight, @"private readonly struct Chain\d+ "));
        Assert.Equal(Count(four, @"\bBlockForward\(run") + 4, Count(eight, @"\bBlockForward\(run"));
    }

    [Fact]
    public void Blocks_with_dropout_share_a_body_and_each_draws_its_own_masks()
    {
        string source = Models.Gpt.Replace("const int BlockCount = 2;", "const int BlockCount = 3;")
            .Replace("Tensor Mlp(Tensor h) => down.Apply(Gelu(up.Apply(h)));", "Tensor Mlp(Tensor h) => Dropout(down.Apply(Gelu(up.Apply(h))), 0.1f);");
        Assert.Contains("Dropout(down", source);
        var (sources, generator, output) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.Empty(output);
        string code = sources.Single(s => s.HintName == "Demo.Gpt.Amp.g.cs").SourceText.ToString();
        Assert.Equal(3, Count(code, @"\bBlockForward\(run, blockInstances\[\d\]"));
        Assert.Matches(@"run\.Dropout\(p\.Salt \+ \d+\)", code);
        Assert.Contains("public readonly int Salt;", code);

        // Three instances, three salts (each instance's first parsed node): three different mask streams.
        var salts = Regex.Matches(code, @"new\(new int\[\] \{[^}]*\}, (\d+),").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, salts.Distinct().Count());
    }

    [Fact]
    public void Two_instances_whose_code_differs_are_both_written_out()
    {
        // The second block keeps FP32: its steps are not the first's, so no body is shared.
        string source = Models.Gpt.Replace("readonly Block[] blocks = Repeat<Block>(BlockCount);", "readonly Block first = new();\n    [KeepFp32] readonly Block second = new();");
        source = Regex.Replace(source, @"foreach \(var block in blocks\)\s*\{\s*x = block\.Apply\(x\);\s*\}", "x = second.Apply(first.Apply(x));");
        Assert.Contains("second.Apply", source);
        var (sources, generator, output) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.Empty(output);
        string code = sources.Single(s => s.HintName == "Demo.Gpt.Amp.g.cs").SourceText.ToString();
        Assert.DoesNotContain("BlockForward", code);
        Assert.Contains("first_ln1_weight", code);
        Assert.Contains("second_ln1_weight", code);
    }
}
