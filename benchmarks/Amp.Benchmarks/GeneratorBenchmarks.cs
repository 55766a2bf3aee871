using Amp.Generator;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Amp.Benchmarks;

/// <summary>
/// A full generator run (fresh driver: parse, shapes, precision, fusion, autodiff, program, emit) on a GPT of
/// <see cref="Blocks"/> blocks, and the C# compile of its generated code: with one body per module both should grow
/// with the distinct modules, not with depth. The setup prints the generated file's size.
/// </summary>
public class GeneratorBenchmarks
{
    private CSharpCompilation? compilation;
    private CSharpCompilation? generated;

    [Params(12, 48)]
    public int Blocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        compilation = CSharpCompilation.Create(
            $"Gpt{Blocks}",
            [CSharpSyntaxTree.ParseText(Source.Replace("Repeat<Block>(12)", $"Repeat<Block>({Blocks})"), new CSharpParseOptions(LanguageVersion.Latest))],
            [.. Net80.References.All, MetadataReference.CreateFromFile(typeof(Tensor).Assembly.Location), MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new AmpGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out Microsoft.CodeAnalysis.Compilation output, out _);
        generated = (CSharpCompilation)output;
        string model = driver.GetRunResult().Results[0].GeneratedSources.Single(s => s.HintName.StartsWith("Demo.Gpt.", StringComparison.Ordinal)).SourceText.ToString();
        int ops = model.Split("new(\"").Length - 1;
        using (var il = new MemoryStream())
        {
            Microsoft.CodeAnalysis.Emit.EmitResult result = generated.Emit(il);
            if (!result.Success)
            {
                throw new InvalidOperationException($"the generated code of the {Blocks}-block GPT does not compile: {result.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error)}");
            }
        }

        Console.WriteLine($"// {Blocks}-block GPT: {ops} planned ops, generated model file {model.Length:N0} chars, {model.Split('\n').Length:N0} lines");
    }

    [Benchmark]
    public GeneratorDriverRunResult FullRun() => Run();

    /// <summary>The user's build of the generated code: the model and its generated file compiled to IL.</summary>
    [Benchmark]
    public bool CompileGenerated()
    {
        using var il = new MemoryStream();
        return generated!.Emit(il).Success;
    }

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
