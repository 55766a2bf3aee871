using Amp.Data;

namespace Amp;

/// <summary>A model compiled by the Amp generator for one device.</summary>
public interface ICompiledModel : IDisposable
{
    ModelPlan Plan { get; }

    AmpDevice Device { get; }

    /// <summary>The weights, by PyTorch name, in declaration order.</summary>
    IReadOnlyList<IParameter> Parameters { get; }

    /// <summary>Runs the [Forward] method on the batch and returns its output as floats (row-major).</summary>
    float[] Forward(Batch batch);

    /// <summary>Runs forward and the [Loss] method: the mean loss of the batch, no update.</summary>
    float Evaluate(Batch batch);
}

/// <summary>One weight tensor of a compiled model.</summary>
public interface IParameter
{
    /// <summary>PyTorch name, for example <c>blocks.0.attn.qkv.weight</c>.</summary>
    string Name { get; }

    IReadOnlyList<int> Shape { get; }

    /// <summary>A copy of the FP32 master values.</summary>
    float[] ReadMaster();

    /// <summary>Replaces the FP32 master values (and refreshes the low-precision working copies).</summary>
    void WriteMaster(ReadOnlySpan<float> values);
}

