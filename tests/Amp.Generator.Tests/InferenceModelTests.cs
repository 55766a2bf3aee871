using Microsoft.CodeAnalysis;

namespace Amp.Generator.Tests;

/// <summary>A model without [Loss] compiles to an inference model: training it does not compile.</summary>
public sealed class InferenceModelTests
{
    private const string Model = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16)]
        public partial class Scorer
        {
            readonly Linear fc = new(4, 2);

            [Forward]
            Tensor Run([Shape(Batch, 4)] Tensor x) => fc.Apply(x);
        }
        """;

    [Fact]
    public void Training_an_inference_model_is_a_compile_error_and_forward_is_not()
    {
        const string user = """
            using Amp;
            using Amp.Data;

            static class Use
            {
                static void Run(AmpDevice device, Batch batch)
                {
                    using var model = new Demo.Scorer().Compile(device);
                    model.Forward(batch);
                    model.Forward(new float[4]);
                    IInferenceModel inference = model;
                    model.TrainStep(batch);
                    model.Evaluate(batch);
                }
            }
            """;
        var (_, generator, output) = GeneratorHarness.Run(Model, user);
        Assert.Empty(generator);
        Diagnostic[] errors = output.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.All(errors, d =>
        {
            Assert.Equal("CS0619", d.Id);
            Assert.Contains("Scorer has no [Loss] method: it is an inference model", d.GetMessage());
        });
    }
}
