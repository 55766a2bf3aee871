using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// CrossEntropy: the mean NLL of saved log-probabilities, and its backward (softmax minus one-hot).
internal sealed partial class IlgpuDevice
{
    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        using Fp32Copy gx = new(this, dlogits, writeBack: true);
        using Fp32Copy lp = new(this, logProbs);
        int threads = Threads(dlogits.Length);
        Kernel("crossentropybackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.CrossEntropyBackward))(
            threads, lp.View, F(labels), F(dloss), gx.View, logProbs.Shape.Columns, threads);
        Launched();
    }

    // The ids were range-checked on the host (AmpDevice.HostIds); the kernels read the device copy.
    private protected override void NllLossCore(DeviceTensor logProbs, DeviceTensor labels, float[] hostLabels, DeviceTensor loss)
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
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<float>, ArrayView<float>, int, S>(IlgpuModelKernels.NllLoss<T, S>));
            kernel(1, lp.View<T>(), labelView, lossView, cols, default);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dlogits[r, c] += dloss / rows * (exp(logp[r, c]) - [c == label_r]).</summary>
    public static void CrossEntropyBackward(Index1D index, ArrayView<float> logProbs, ArrayView<float> labels, ArrayView<float> dloss, ArrayView<float> dx, int cols, int stride)
    {
        float seed = dloss[0] / labels.Length;
        for (long i = index; i < dx.Length; i += stride)
        {
            long r = i / cols;
            float hot = (long)labels[r] == i % cols ? 1f : 0f;
            dx[i] += seed * (MathF.Exp(logProbs[i]) - hot);
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>One thread: loss[0] = -mean(logp[r, labels[r]]); labels were range-checked on the host.</summary>
    public static void NllLoss<TX, SX>(Index1D index, ArrayView<TX> logProbs, ArrayView<float> labels, ArrayView<float> loss, int cols, SX sx)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
    {
        if (index == 0)
        {
            float sum = 0f;
            for (long r = 0; r < labels.Length; r++)
            {
                sum -= sx.ToFloat(logProbs[(r * cols) + (long)labels[r]]);
            }

            loss[0] = sum / labels.Length;
        }
    }
}
