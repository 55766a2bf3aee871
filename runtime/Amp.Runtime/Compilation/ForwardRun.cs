using ILGPU;
using ILGPU.Runtime;

namespace Amp.Compilation;

/// <summary>
/// One forward pass of a compiled model, as generated code sees it: the batch size, the uploaded inputs, the
/// activation buffers by slot (kept between calls of the same batch size) and the fused-chain launcher that
/// picks the Cpu loop or the ILGPU kernel of a chain.
/// </summary>
public sealed class ForwardRun
{
    private readonly CompiledModel model;

    internal ForwardRun(CompiledModel model, int batchSize, RunMode mode)
    {
        this.model = model;
        BatchSize = batchSize;
        Mode = mode;
    }

    public int BatchSize { get; }

    /// <summary>A tuple [Forward]'s outputs in order, set at its end (<see cref="SetOutputs"/>); null for one output.</summary>
    internal DeviceTensor[]? Outputs { get; private set; }

    /// <summary>Called by the generated forward of a tuple [Forward] after its last op: every output, in order.</summary>
    public void SetOutputs(params DeviceTensor[] outputs) => Outputs = outputs;

    /// <summary>Output <paramref name="index"/> of a tuple [Forward] (the loss reads the ones after the first).</summary>
    public DeviceTensor Output(int index) =>
        Outputs is { } all && index >= 0 && index < all.Length ? all[index] : throw new InvalidOperationException($"The forward pass set no output {index}.");

    /// <summary>How this pass runs: eval, training, or training without side effects (see <see cref="RunMode"/>).</summary>
    public RunMode Mode { get; }

    /// <summary>Training-mode semantics: Dropout active, BatchNorm on the batch's statistics.</summary>
    public bool Training => Mode != RunMode.Eval;

    /// <summary>The masks of Dropout op <paramref name="salt"/> in this pass: the model's seed and TrainStep counter; inactive in eval mode.</summary>
    public DropoutKey Dropout(int salt) => new(model.DropoutSeed, model.DropoutCounter, salt, Training ? 1 : 0);

    /// <summary>Whether the pass may change model state: BatchNorm's running statistics, the Dropout counter.</summary>
    public bool UpdatesState => Mode == RunMode.Train;

    public AmpDevice Device => model.Device;

    /// <summary>An input uploaded as FP32 [batch, ..] (ids as exact integers).</summary>
    public DeviceTensor Input(string name) => model.InputTensor(name);

    /// <summary>The activation buffer of <paramref name="slot"/>, allocated on first use for this batch size.</summary>
    public DeviceTensor Buffer(int slot, Precision precision, params int[] shape) => model.Buffer(slot, precision, shape);

    /// <summary>The FP32 gradient buffer of <paramref name="slot"/>, zeroed for this backward pass.</summary>
    public DeviceTensor Gradient(int slot, params int[] shape) => model.GradientBuffer(slot, Precision.Fp32, shape);

    /// <summary>The gradient buffer of <paramref name="slot"/> in <paramref name="precision"/> (an activation's gradient takes its precision), zeroed for this backward pass.</summary>
    public DeviceTensor Gradient(int slot, Precision precision, params int[] shape) => model.GradientBuffer(slot, precision, shape);

    /// <summary>
    /// The FP32 gradient buffer of <paramref name="slot"/>, not zeroed: the step that declares it writes every element
    /// before anything reads or adds to it (a product with beta 0, a chain's backward with overwrite), so zeroing it
    /// would be a pass over memory for nothing. Its contents until then are whatever the slot held.
    /// </summary>
    public DeviceTensor GradientToWrite(int slot, params int[] shape) => model.Buffer(slot, Precision.Fp32, shape);

    /// <summary>The gradient buffer of <paramref name="slot"/> in <paramref name="precision"/>, not zeroed: see <see cref="GradientToWrite(int, int[])"/>.</summary>
    public DeviceTensor GradientToWrite(int slot, Precision precision, params int[] shape) => model.Buffer(slot, precision, shape);

    /// <summary>
    /// BatchNorm2d's forward in this pass's mode. Training: the batch's mean and biased variance per channel into
    /// <paramref name="mean"/> and <paramref name="variance"/> (kept for the backward), and when the pass updates state
    /// (TrainStep) PyTorch's running update and num_batches_tracked + 1. Eval: the running statistics. Either way
    /// y = (x - mean) / sqrt(variance + eps) weight + bias in FP32, stored in y's precision. A forward
    /// <paramref name="recomputed"/> for the backward ([Recompute]) leaves the running statistics alone: they were
    /// updated when it first ran.
    /// </summary>
    public void BatchNorm2d(
        DeviceTensor x, DeviceTensor y, ModelParameter weight, ModelParameter bias, ModelBuffer runningMean, ModelBuffer runningVar, ModelBuffer batchesTracked,
        DeviceTensor mean, DeviceTensor variance, float epsilon, float momentum, bool recomputed = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(batchesTracked);
        if (!Training)
        {
            Device.BatchNorm(x, runningMean.Tensor, runningVar.Tensor, weight.Master, bias.Master, y, epsilon);
            return;
        }

        long count = x.Shape.Rank == 4 ? (long)x.Shape[0] * x.Shape[2] * x.Shape[3] : 0;
        if (count == 1)
        {
            string layer = runningMean.Name[..runningMean.Name.LastIndexOf('.')];
            throw new ArgumentException($"BatchNorm2d '{layer}' needs more than one value per channel in training (as PyTorch); got input {x.Shape}.", nameof(x));
        }

        Device.ChannelStatistics(x, mean, variance);
        if (UpdatesState && !recomputed)
        {
            Device.UpdateRunningStatistics(mean, variance, runningMean.Tensor, runningVar.Tensor, momentum, count);
            batchesTracked.Increment();
        }

        Device.BatchNorm(x, mean, variance, weight.Master, bias.Master, y, epsilon);
    }

    /// <summary>
    /// A fused elementwise chain of one to four leaves, written once for every arity: y = TChain(x0..x3), leaves
    /// shorter than y broadcast. A leaf slot past the chain's arity is null (its type argument is float) and is
    /// never read; the kernel is the chain's ILGPU kernel, used on ILGPU devices.
    /// </summary>
    public void Map<TChain, T0, T1, T2, T3, TY>(
        Action<Index1D, ArrayView<T0>, ArrayView<T1>, ArrayView<T2>, ArrayView<T3>, ArrayView<TY>, ChainExtent> kernel,
        DeviceTensor y, DeviceTensor x0, DeviceTensor? x1 = null, DeviceTensor? x2 = null, DeviceTensor? x3 = null)
        where TChain : struct, IChain where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where TY : unmanaged
    {
        Check(y, TChain.Reads, x0, x1, x2, x3);
        if (Device is CpuDevice)
        {
            CpuChains.Run<TChain>((CpuTensor)y, (CpuTensor)x0, (CpuTensor?)x1, (CpuTensor?)x2, (CpuTensor?)x3);
        }
        else
        {
            ((IlgpuDevice)Device).Chain(kernel, y, x0, x1, x2, x3);
        }
    }

    /// <summary>
    /// The backward of one leaf of a fused chain: dx += TChain(g, x0..x3), dx and g with the chain's output length;
    /// a leaf the derivative does not read (not in TChain.Reads) is passed as null. The derivative runs in FP32 for any
    /// gradient precision (PyTorch's rule): the Cpu loop converts block by block, ILGPU widens into a temporary.
    /// </summary>
    /// <remarks>
    /// <paramref name="overwrite"/>: this is the first step to write dx, which covers all of it, so dx was declared with
    /// <see cref="GradientToWrite(int, int[])"/> (not zeroed) and is written, not added to: one pass less, and one read
    /// less. ILGPU zeroes it first and accumulates (one kernel for both).
    /// </remarks>
    public void Grad<TChain, T0, T1, T2, T3>(
        Action<Index1D, ArrayView<float>, ArrayView<T0>, ArrayView<T1>, ArrayView<T2>, ArrayView<T3>, ArrayView<float>, ChainExtent> kernel,
        DeviceTensor dx, DeviceTensor g, DeviceTensor? x0 = null, DeviceTensor? x1 = null, DeviceTensor? x2 = null, DeviceTensor? x3 = null, bool overwrite = false)
        where TChain : struct, IGradChain where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged
    {
        Check(dx, TChain.Reads, x0, x1, x2, x3);
        Device.Owns(g, nameof(g));
        if (dx.Length != g.Length)
        {
            throw new ArgumentException($"A backward chain needs gradients of one length; got dx {dx} and g {g}.", nameof(dx));
        }

        if (Device is CpuDevice)
        {
            CpuChains.RunGrad<TChain>((CpuTensor)dx, (CpuTensor)g, (CpuTensor?)x0, (CpuTensor?)x1, (CpuTensor?)x2, (CpuTensor?)x3, overwrite);
        }
        else
        {
            if (overwrite)
            {
                Device.Fill(dx, 0f);
            }

            ((IlgpuDevice)Device).GradChain(kernel, dx, g, x0, x1, x2, x3);
        }
    }

    /// <summary>Leaf k is given exactly when the chain reads it, lives on this device and broadcasts to the output.</summary>
    private void Check(DeviceTensor y, int reads, params DeviceTensor?[] leaves)
    {
        Device.Owns(y, nameof(y));
        for (int i = 0; i < leaves.Length; i++)
        {
            bool read = (reads & (1 << i)) != 0;
            if (leaves[i] is not { } leaf)
            {
                if (read)
                {
                    throw new ArgumentException($"The chain reads x{i} but none was given.", $"x{i}");
                }

                continue;
            }

            if (!read)
            {
                throw new ArgumentException($"The chain does not read x{i}; pass null there.", $"x{i}");
            }

            Device.Owns(leaf, $"x{i}");
            if (y.Length % leaf.Length != 0)
            {
                throw new ArgumentException($"Chain input x{i} {leaf.Shape} does not broadcast to the output {y.Shape}.", $"x{i}");
            }
        }
    }
}
