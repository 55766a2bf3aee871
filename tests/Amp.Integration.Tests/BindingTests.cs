using Amp;
using Amp.Data;
using Models;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>Bad batches are refused with an ArgumentException that names the input and both shapes.</summary>
public sealed class BindingTests
{
    [Fact]
    public void Wrong_input_length_names_the_input_and_the_shape()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using Classifier.Compiled compiled = new Classifier().Compile(device);
        var e = Assert.Throws<ArgumentException>(() => compiled.Forward(new Batch { { "x", new float[130] } }));
        Assert.Contains("'x' has 130 values", e.Message);
        Assert.Contains("[Batch, 64]", e.Message);
    }

    [Fact]
    public void Inconsistent_batch_sizes_give_both_shapes()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using Classifier.Compiled compiled = new Classifier().Compile(device);
        var e = Assert.Throws<ArgumentException>(() => compiled.Evaluate(new Batch { { "x", new float[128] }, { "y", new[] { 1, 2, 3 } } }));
        Assert.Contains("'y' has shape [3]", e.Message);
        Assert.Contains("must be [2]", e.Message);
    }

    [Fact]
    public void Missing_wrongly_typed_unknown_and_out_of_range_inputs_are_refused()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using Classifier.Compiled compiled = new Classifier().Compile(device);
        Assert.Contains("no input 'x'", Assert.Throws<ArgumentException>(() => compiled.Forward(new Batch())).Message);
        Assert.Contains("must be float[]", Assert.Throws<ArgumentException>(() => compiled.Forward(new Batch { { "x", new int[64] } })).Message);
        Assert.Contains("does not declare", Assert.Throws<ArgumentException>(() => compiled.Forward(new Batch { { "x", new float[64] }, { "z", new float[1] } })).Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => compiled.Evaluate(new Batch { { "x", new float[64] }, { "y", new[] { 10 } } }));
        Assert.Contains("outside [0, 10)", range.Message);
    }

    /// <summary>
    /// A model without [Loss] is an inference model: its plan says so, it runs Forward and checkpoints, and training it is a
    /// compile-time error on its type (CS0619, GeneratorTests) and an InvalidOperationException through ICompiledModel.
    /// </summary>
    [Fact]
    public void A_model_without_a_loss_method_is_an_inference_model()
    {
        using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
        using ForwardOnly.Compiled compiled = new ForwardOnly().Compile(device);
        Assert.True(ForwardOnly.Plan.InferenceOnly);
        Assert.Contains("inference only: no [Loss]", ForwardOnly.Plan.ToString());
        Assert.False(Classifier.Plan.InferenceOnly);

        IInferenceModel inference = compiled;
        Assert.Equal(4, inference.Forward(new Batch { { "x", new float[8] } }).Length);   // batch 2 of [2]
        string path = Path.Combine(Path.GetTempPath(), $"amp-inference-{Guid.NewGuid():N}.safetensors");
        try
        {
            inference.SaveSafetensors(path);
            inference.LoadSafetensors(path);
        }
        finally
        {
            File.Delete(path);
        }

        ICompiledModel trainable = compiled;
        var error = Assert.Throws<InvalidOperationException>(() => trainable.Evaluate(new Batch { { "x", new float[4] } }));
        Assert.Contains("no [Loss] method", error.Message);
        Assert.Throws<InvalidOperationException>(() => trainable.TrainStep(new Batch { { "x", new float[4] } }));
    }
}
