using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Saved activations stored in BF16/FP16 are widened into an FP32 temporary (Fp32Copy) before the FP32 backward
// kernel reads them: one extra pass, and one kernel per op instead of one per storage combination.
internal sealed partial class IlgpuDevice
{
    private protected override void FillCore(DeviceTensor tensor, float value)
    {
        if (tensor.Precision != Precision.Fp32)
        {
            using DeviceTensor source = Allocate(Precision.Fp32, tensor.Length);
            FillCore(source, value);
            Cast(source, tensor.Reshape(tensor.Length));
            return;
        }

        int threads = Threads(tensor.Length);
        Kernel("fill", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, int>(IlgpuBackwardKernels.Fill))(threads, F(tensor), value, threads);
        Accelerator.Synchronize();
    }

    private protected override void AccumulateRowsCore(DeviceTensor source, DeviceTensor destination)
    {
        int threads = Threads(destination.Length);
        Kernel("accumulaterows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(IlgpuBackwardKernels.AccumulateRows))(threads, F(source), F(destination), threads);
        Accelerator.Synchronize();
    }

    private protected override void BroadcastRowsAccumulateCore(DeviceTensor dy, DeviceTensor dx, float scale)
    {
        int threads = Threads(dx.Length);
        Kernel("broadcastrows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, int>(IlgpuBackwardKernels.BroadcastRows))(
            threads, F(dy), F(dx), dx.Shape.Columns, scale, threads);
        Accelerator.Synchronize();
    }

    private protected override void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        using Fp32Copy saved = new(this, y);
        int threads = Threads(y.Shape.Rows);
        Kernel("softmaxbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.SoftmaxBackward))(
            threads, saved.View, F(dy), F(dx), y.Shape.Rows, y.Shape.Columns, log ? 1 : 0, threads);
        Accelerator.Synchronize();
    }

    private protected override void NormBackwardCore(
        DeviceTensor x, DeviceTensor weight, DeviceTensor? mean, DeviceTensor rstd, DeviceTensor dy, DeviceTensor? dx, DeviceTensor dweight, DeviceTensor? dbias)
    {
        using Fp32Copy xs = new(this, x), w = new(this, weight);
        int rows = x.Shape.Rows, cols = x.Shape.Columns, hasMean = mean is null ? 0 : 1;
        ArrayView<float> mu = mean is null ? EmptyFloats : F(mean);
        int threads = Threads(rows);
        if (dx is not null)
        {
            Kernel(
            "normbackward/input", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.NormBackwardInput))(threads, xs.View, w.View, mu, F(rstd), F(dy), F(dx), rows, cols, hasMean, threads);
        }

        threads = Threads(cols);
        Kernel(
            "normbackward/weights", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(IlgpuBackwardKernels.NormBackwardWeights))(
            threads, xs.View, mu, F(rstd), F(dy), F(dweight), dbias is null ? EmptyFloats : F(dbias), rows, cols, hasMean, dbias is null ? 0 : 1, threads);
        Accelerator.Synchronize();
    }

    private protected override void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable)
    {
        int threads = Threads(dtable.Shape.Columns);
        Kernel("scatteraddrows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.ScatterAddRows))(
            threads, F(dy), F(ids), F(dtable), dtable.Shape.Columns, threads);
        Accelerator.Synchronize();
    }

    private protected override void SwapMiddleAccumulateCore(DeviceTensor dy, DeviceTensor dx, int outer, int b, int a, int inner)
    {
        int threads = Threads(dx.Length);
        Kernel("swapmiddleaccumulate", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuBackwardKernels.SwapMiddleAccumulate))(
            threads, F(dy), F(dx), a, b, inner, threads);
        Accelerator.Synchronize();
    }

    private protected override void CausalMaskBackwardCore(DeviceTensor dy, DeviceTensor dx)
    {
        int threads = Threads(dx.Length);
        Kernel("causalmaskbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.CausalMaskBackward))(
            threads, F(dy), F(dx), dx.Shape.Columns, threads);
        Accelerator.Synchronize();
    }

    private protected override void CrossEntropyBackwardCore(DeviceTensor logProbs, float[] hostLabels, DeviceTensor labels, DeviceTensor dloss, DeviceTensor dlogits)
    {
        using Fp32Copy lp = new(this, logProbs);
        int threads = Threads(dlogits.Length);
        Kernel("crossentropybackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.CrossEntropyBackward))(
            threads, lp.View, F(labels), F(dloss), F(dlogits), logProbs.Shape.Columns, threads);
        Accelerator.Synchronize();
    }

    private protected override void MseLossBackwardCore(DeviceTensor a, DeviceTensor b, DeviceTensor dloss, DeviceTensor? da, DeviceTensor? db)
    {
        using Fp32Copy x = new(this, a), y = new(this, b);
        int threads = Threads(a.Length);
        Kernel("mselossbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuBackwardKernels.MseLossBackward))(
            threads, x.View, y.View, F(dloss), da is null ? EmptyFloats : F(da), db is null ? EmptyFloats : F(db), da is null ? 0 : 1, db is null ? 0 : 1, threads);
        Accelerator.Synchronize();
    }

    // Read back and summed on the host in FP64: one transfer per gradient, once per optimizer step (clipping only).
    private protected override double SquaredNormCore(DeviceTensor tensor)
    {
        double sum = 0;
        foreach (float v in tensor.ToArray())
        {
            sum += (double)v * v;
        }

        return sum;
    }

    private static ArrayView<float> F(DeviceTensor tensor) => ((IlgpuTensor)tensor).View<float>();
}
