using Amp.Generator;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Amp.Benchmarks;

/// <summary>A full generator run (fresh driver: parse, shapes, precision, fusion, emit) on a 12-block GPT of about 150 ops.</summary>
public class GeneratorBenchmarks
{
    private CSharpCompilation? compilation;

    [GlobalSetup]
    public void Setup()
    {
        compilation = CSharpCompilation.Create(
            "Gpt12",
            [CSharpSyntaxTree.ParseText(Source, new CSharpParseOptions(LanguageVersion.Latest))],
            [.. Net80.References.All, MetadataReference.CreateFromFile(typeof(Tensor).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        int ops = Run().Results[0].GeneratedSources.Single(s => s.HintName.StartsWith("Demo.Gpt.", StringComparison.Ordinal))
            .SourceText.ToString().Split("new(\"").Length - 1;
        Console.WriteLine($"// 12-block GPT: {ops} planned ops");
    }

    [Benchmark]
    public GeneratorDriverRunResult FullRun() => Run();

    private GeneratorDriverRunResult Run() =>
        CSharpGeneratorDriver.Create(new AmpGenerator()).RunGenerators(compilation!).GetRunResult();

    private const string Source = """
        using Amp;
        using static Amp.Ops;
        namespace Demo;

        [Module]
        public partial class Attn
        {
            readonly Linear q = new(128, 128);
            readonly Linear k = new(128, 128);
            readonly Linear v = new(128, 128);
            readonly Linear proj = new(128, 128);

            [Forward]
            public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
        }

        [Module]
        public partial class Block
        {
            readonly LayerNorm ln1 = new(128);
            readonly Attn attn = new();
            readonly LayerNorm ln2 = new(128);
            readonly Linear up = new(128, 512);
            readonly Linear down = new(512, 128);

            [Forward]
            public Tensor Apply(Tensor x)
            {
                x = x + attn.Apply(ln1.Apply(x));
                return x + down.Apply(Gelu(up.Apply(ln2.Apply(x))));
            }
        }

        [Autocast(Precision.Bf16)]
        public partial class Gpt
        {
            readonly Embedding wte = new(96, 128);
            readonly Block[] blocks = Repeat<Block>(12);
            readonly LayerNorm lnf = new(128);
            readonly Linear head = new(128, 96, bias: false);

            [Forward]
            Tensor Logits([Shape(Batch, 64)] Tokens idx)
            {
                var x = wte.Apply(idx);
                foreach (var block in blocks)
                {
                    x = block.Apply(x);
                }

                return head.Apply(lnf.Apply(x));
            }

            [Loss]
            Tensor Loss(Tensor logits, [Classes(96)] Labels targets) => CrossEntropy(logits, targets);
        }
        """;
}
