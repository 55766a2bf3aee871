using Amp.Data;

namespace Amp;

/// <summary>
/// A compiled model that runs its [Forward] method: what a model without a [Loss] method compiles to (its <c>Plan</c> says
/// so), and what every trainable <see cref="ICompiledModel"/> is too.
/// </summary>
public interface IInferenceModel : IDisposable
{
    ModelPlan Plan { get; }

    AmpDevice Device { get; }

    /// <summary>The weights, by PyTorch name, in declaration order.</summary>
    IReadOnlyList<IParameter> Parameters { get; }

    /// <summary>Non-trained state by PyTorch name (BatchNorm's running statistics), saved and loaded with the parameters.</summary>
    IReadOnlyList<IBuffer> Buffers { get; }

    /// <summary>Runs the [Forward] method on the batch and returns its output as floats (row-major); of a tuple, the first.</summary>
    float[] Forward(Batch batch);

    /// <summary>
    /// Runs the [Forward] method and returns every output, in order: one for a method that returns a tensor, each element
    /// of a tuple (<c>return (logits, aux);</c>) otherwise. The generated typed <c>Forward</c> returns them as a tuple.
    /// </summary>
    IReadOnlyList<float[]> ForwardOutputs(Batch batch);

    /// <summary>Writes parameters (PyTorch names and layouts), buffers and training state to a safetensors file, atomically.</summary>
    void SaveSafetensors(string path);

    /// <summary>
    /// With <paramref name="weightsOnly"/>: exactly the keys of PyTorch's <c>state_dict</c> (parameters, then buffers, under
    /// their PyTorch names, layouts and dtypes; no optimizer or scaler state), so <c>load_state_dict(strict=True)</c> accepts
    /// the file; <see cref="LoadSafetensors"/> reads it back. Without it, as <see cref="SaveSafetensors(string)"/>.
    /// </summary>
    void SaveSafetensors(string path, bool weightsOnly);

    /// <summary>Reads a checkpoint written by <see cref="SaveSafetensors(string)"/> (or parameters from PyTorch); a corrupt or mismatched file is refused and nothing changes.</summary>
    void LoadSafetensors(string path);
}

/// <summary>
/// A model compiled by the Amp generator for one device, with its [Loss]: it trains. Checkpoints also carry the optimizer's
/// and the scaler's state; <see cref="IInferenceModel.Buffers"/> are updated by <see cref="TrainStep"/>.
/// </summary>
public interface ICompiledModel : IInferenceModel
{
    /// <summary>The training options the model was compiled with.</summary>
    TrainingOptions Options { get; }

    /// <summary>The loss scaler the training step calls (disabled for BF16 and FP32 plans unless given).</summary>
    ILossScaler Scaler { get; }

    /// <summary>Optimizer steps applied so far (skipped steps do not count).</summary>
    int OptimizerStep { get; }

    /// <summary>Training steps whose update was skipped (inf/NaN gradients); each is also raised as a <see cref="AmpDevice.Notice"/>.</summary>
    long SkippedSteps { get; }

    /// <summary>Runs forward and the [Loss] method: the mean loss of the batch, no update.</summary>
    float Evaluate(Batch batch);

    /// <summary>
    /// One training step: forward (autocast), loss (FP32), backward seeded with the loss scale, one fused
    /// unscale-and-check pass, skip on overflow, optional clip-by-norm, the optimizer on FP32 masters with the
    /// working copies cast out, and the scaler update. With gradient accumulation the last three happen on every
    /// AccumulationSteps-th call.
    /// </summary>
    StepResult TrainStep(Batch batch);

    /// <summary>
    /// The loss <see cref="TrainStep"/> would compute on this batch, in training mode (Dropout active with the masks
    /// of the next step, BatchNorm on the batch's statistics), with no side effect: no backward, no optimizer step,
    /// running statistics and the Dropout counter unchanged. Calling it twice gives the same value; finite
    /// differences of it match <see cref="ComputeGradients"/>.
    /// </summary>
    float EvaluateTrainMode(Batch batch);

    /// <summary>
    /// Forward, loss and backward in training mode with no scaling, no update and no side effect on model state
    /// (as <see cref="EvaluateTrainMode"/>): afterwards <see cref="IParameter.ReadGradient"/> gives d(loss)/d(weight).
    /// Any gradient accumulated by earlier <see cref="TrainStep"/> calls is replaced.
    /// </summary>
    float ComputeGradients(Batch batch);

}

/// <summary>One buffer of a compiled model: state the optimizer never touches (PyTorch's <c>register_buffer</c>).</summary>
public interface IBuffer
{
    /// <summary>PyTorch name, for example <c>bn1.running_mean</c>.</summary>
    string Name { get; }

    /// <summary>The shape; empty for a scalar (<c>num_batches_tracked</c>).</summary>
    IReadOnlyList<int> Shape { get; }

    /// <summary>The safetensors dtype it is saved as: <c>F32</c>, or <c>I64</c> for a counter.</summary>
    string DType { get; }

    /// <summary>A copy of the values (a counter as a float: exact up to 2^24).</summary>
    float[] Read();

    /// <summary>Replaces the values (a counter takes a whole, non-negative number).</summary>
    void Write(ReadOnlySpan<float> values);
}

/// <summary>One weight tensor of a compiled model.</summary>
public interface IParameter
{
    /// <summary>PyTorch name, for example <c>blocks.0.attn.qkv.weight</c>.</summary>
    string Name { get; }

    IReadOnlyList<int> Shape { get; }

    /// <summary>A copy of the FP32 master values.</summary>
    float[] ReadMaster();

    /// <summary>The FP32 gradient of the last step, unscaled, in the weight's layout.</summary>
    float[] ReadGradient();

    /// <summary>Replaces the FP32 master values (and refreshes the low-precision working copies).</summary>
    void WriteMaster(ReadOnlySpan<float> values);
}

