using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
internal sealed partial class IlgpuDevice
{
    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits, CrossEntropyOptions options)
    {
        using Fp32Copy gx = new(this, dlogits, writeBack: true);
        using Fp32Copy lp = new(this, logProbs);
        int threads = Threads(dlogits.Length);
        Kernel("crossentropybackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, CrossEntropyArgs, int>(IlgpuBackwardKernels.CrossEntropyBackward))(
            threads, lp.View, F(labels), F(dloss), gx.View, logProbs.Shape.Columns, CrossEntropyArgs.Of(options, hostLabels), threads);
        Launched();
    }

    // The ids were range-checked on the host (AmpDevice.HostIds); the kernels read the device copy.
    private protected override void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss, CrossEntropyOptions options)
    {
        int cols = logProbs.Shape.Columns;
        var lp = (IlgpuTensor)logProbs;
        ArrayView<float> labelView = ((IlgpuTensor)labels).View<float>(), lossView = ((IlgpuTensor)loss).View<float>();
        switch (logProbs.Precision)
        {
            case Precision.Fp32: Nll<float, Fp32Storage>(); break;
            case Precision.Bf16: Nll<ushort, Bf16Storage>(); break;
            default: Nll<KernelHalf, Fp16Storage>(); break;
        }

        Launched();

        void Nll<T, S>()
            where T : unmanaged where S : struct, IKernelStorage<T>
        {
            var kernel = Kernel(
                $"nll/{typeof(S).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<float>, ArrayView<float>, int, CrossEntropyArgs, S>(IlgpuModelKernels.NllLoss<T, S>));
            kernel(1, lp.View<T>(), labelView, lossView, cols, CrossEntropyArgs.Of(options, hostLabels), default);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dlogits[r, c] += dloss / counted * (exp(logp[r, c]) - (1 - eps) [c == label_r] - eps / C) on counted rows.</summary>
    public static void CrossEntropyBackward(Index1D index, ArrayView<float> logProbs, ArrayView<float> labels, ArrayView<float> dloss, ArrayView<float> dx, int cols, CrossEntropyArgs e, int stride)
    {
        float seed = dloss[0] / e.Counted;
        for (long i = index; i < dx.Length; i += stride)
        {
            long r = i / cols;
            float label = labels[r];
            if (label == e.Ignore)
            {
                continue;
            }

            float hot = (long)label == i % cols ? 1f - e.Smoothing : 0f;
            dx[i] += seed * (MathF.Exp(logProbs[i]) - hot - (e.Smoothing / cols));
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>
    /// One thread: loss[0] = the mean over counted rows of (1 - eps) (-logp[r, label]) + eps mean_c(-logp[r, c]); labels were
    /// range-checked on the host.
    /// </summary>
    public static void NllLoss<TX, SX>(Index1D index, ArrayView<TX> logProbs, ArrayView<float> labels, ArrayView<float> loss, int cols, CrossEntropyArgs e, SX sx)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
    {
        if (index == 0)
        {
            float sum = 0f;
            for (long r = 0; r < labels.Length; r++)
            {
                if (labels[r] == e.Ignore)
                {
                    continue;
                }

                sum -= (1f - e.Smoothing) * sx.ToFloat(logProbs[(r * cols) + (long)labels[r]]);
                if (e.Smoothing != 0f)
                {
                    float row = 0f;
                    for (long c = 0; c < cols; c++)
                    {
                        row += sx.ToFloat(logProbs[(r * cols) + c]);
                    }

                    sum -= e.Smoothing * row / cols;
                }
            }

            loss[0] = sum / e.Counted;
        }
    }
}

/// <summary>CrossEntropy's options for a kernel: eps, the ignored label (as stored, FP32) and the rows that count.</summary>
internal struct CrossEntropyArgs
{
    public float Smoothing, Ignore;
    public int Counted;

    public static CrossEntropyArgs Of(CrossEntropyOptions options, float[] hostLabels) =>
        new() { Smoothing = options.LabelSmoothing, Ignore = options.IgnoreIndex, Counted = options.Counted(hostLabels) };
}
