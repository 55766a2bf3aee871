using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Softmax and LogSoftmax over the last dimension, forward and backward (from the saved output), in FP32.
internal sealed partial class IlgpuDevice
{
    private protected override void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log) =>
        Dispatch2(x, y, new SoftmaxLaunch(this, x.Shape.Rows, x.Shape.Columns, log ? 1 : 0, Threads(x.Shape.Rows)));

    private readonly record struct SoftmaxLaunch(IlgpuDevice Device, int Rows, int Columns, int Log, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"softmax/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, int, int, int, SI, SO>(IlgpuKernels.Softmax<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Rows, Columns, Log, Threads, default, default);
        }
    }

    private protected override void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        using Fp32Copy saved = new(this, y);
        int threads = Threads(y.Shape.Rows);
        Kernel("softmaxbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.SoftmaxBackward))(
            threads, saved.View, gy.View, gx.View, y.Shape.Rows, y.Shape.Columns, log ? 1 : 0, threads);
        Launched();
    }
}

internal static partial class IlgpuKernels
{
    /// <summary>Softmax or log-softmax of each row, in FP32, max-subtracted.</summary>
    public static void Softmax<TX, SX, TY, SY>(Index1D index, ArrayView<TX> x, ArrayView<TY> y, int rows, int cols, int log, int stride, SX sx, SY sy)
        where TX : unmanaged where SX : struct, IKernelStorage<TX>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (int row = index; row < rows; row += stride)
        {
            long start = (long)row * cols;
            float max = float.NegativeInfinity;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                max = v > max || float.IsNaN(v) ? v : max;
            }

            float sum = 0f;
            for (int k = 0; k < cols; k++)
            {
                sum += MathF.Exp(sx.ToFloat(x[start + k]) - max);
            }

            float shift = max + MathF.Log(sum);
            float inverse = 1f / sum;
            for (int k = 0; k < cols; k++)
            {
                float v = sx.ToFloat(x[start + k]);
                y[start + k] = sy.FromFloat(log != 0 ? v - shift : MathF.Exp(v - max) * inverse);
            }
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>One thread per row: softmax (log 0) or log-softmax (log 1) backward.</summary>
    public static void SoftmaxBackward(Index1D index, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int rows, int cols, int log, int stride)
    {
        for (long r = index; r < rows; r += stride)
        {
            long o = r * cols;
            float reduce = 0f;
            for (int c = 0; c < cols; c++)
            {
                reduce += log != 0 ? dy[o + c] : dy[o + c] * y[o + c];
            }

            for (int c = 0; c < cols; c++)
            {
                dx[o + c] += log != 0 ? dy[o + c] - (MathF.Exp(y[o + c]) * reduce) : y[o + c] * (dy[o + c] - reduce);
            }
        }
    }
}
