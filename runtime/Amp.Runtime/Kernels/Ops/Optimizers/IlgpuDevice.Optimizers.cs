using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// The step after backward: unscale-and-check, the squared norm for clipping, SGD and AdamW on FP32 masters with the cast-out.
internal sealed partial class IlgpuDevice
{
    // ---- Loss scaler and optimizers ----
    private protected override bool UnscaleAndCheckCore(IReadOnlyList<DeviceTensor> gradients, float inverseScale)
    {
        foundFlag ??= Accelerator.Allocate1D<int>(1);
        foundFlag.MemSetToZero();
        var kernel = Kernel(
            "unscale",
            acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, float, int>(IlgpuKernels.UnscaleAndCheck));
        foreach (DeviceTensor g in gradients)
        {
            int threads = Threads(g.Length);
            kernel(threads, ((IlgpuTensor)g).View<float>(), foundFlag.View, inverseScale, threads);
        }

        // One read-back for the whole list.
        Span<int> flag = stackalloc int[1];
        IlgpuTensor.Download(foundFlag.View, flag);
        return flag[0] != 0;
    }

    private protected override void SgdStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor? momentumBuffer, DeviceTensor? working, SgdHyperparameters hyper, int step)
    {
        SgdStepScalars s = SgdStepScalars.From(hyper, step);
        ArrayView<float> buf = momentumBuffer is null ? EmptyFloats : ((IlgpuTensor)momentumBuffer).View<float>();
        int threads = Threads(master.Length);
        var wt = (IlgpuTensor?)working;
        switch (working?.Precision)
        {
            case null: Run<float, Fp32Storage>(EmptyFloats, 0); break;
            case Precision.Fp32: Run<float, Fp32Storage>(wt!.View<float>(), 1); break;
            case Precision.Bf16: Run<ushort, Bf16Storage>(wt!.View<ushort>(), 1); break;
            default: Run<KernelHalf, Fp16Storage>(wt!.View<KernelHalf>(), 1); break;
        }
        Launched();

        void Run<TW, SW>(ArrayView<TW> w, int hasWorking)
            where TW : unmanaged where SW : struct, IKernelStorage<TW>
        {
            var kernel = Kernel(
                $"sgd/{typeof(SW).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<TW>, SgdStepScalars, int, int, SW>(IlgpuKernels.Sgd<TW, SW>));
            kernel(threads, ((IlgpuTensor)master).View<float>(), ((IlgpuTensor)gradient).View<float>(), buf, w, s, hasWorking, threads, default);
        }
    }

    private protected override void AdamWStepCore(DeviceTensor master, DeviceTensor gradient, DeviceTensor m, DeviceTensor v, DeviceTensor? working, AdamWStepScalars s)
    {
        int threads = Threads(master.Length);
        var wt = (IlgpuTensor?)working;
        switch (working?.Precision)
        {
            case null: Run<float, Fp32Storage>(EmptyFloats, 0); break;
            case Precision.Fp32: Run<float, Fp32Storage>(wt!.View<float>(), 1); break;
            case Precision.Bf16: Run<ushort, Bf16Storage>(wt!.View<ushort>(), 1); break;
            default: Run<KernelHalf, Fp16Storage>(wt!.View<KernelHalf>(), 1); break;
        }
        Launched();

        void Run<TW, SW>(ArrayView<TW> w, int hasWorking)
            where TW : unmanaged where SW : struct, IKernelStorage<TW>
        {
            var kernel = Kernel(
                $"adamw/{typeof(SW).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<TW>, AdamWStepScalars, int, int, SW>(IlgpuKernels.AdamW<TW, SW>));
            kernel(threads, ((IlgpuTensor)master).View<float>(), ((IlgpuTensor)gradient).View<float>(), ((IlgpuTensor)m).View<float>(), ((IlgpuTensor)v).View<float>(), w, s, hasWorking, threads, default);
        }
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
}

internal static partial class IlgpuKernels
{
    /// <summary>g *= inverseScale; found[0] = 1 when any original element is inf or NaN.</summary>
    public static void UnscaleAndCheck(Index1D index, ArrayView<float> gradient, ArrayView<int> found, float inverseScale, int stride)
    {
        for (long i = index; i < gradient.Length; i += stride)
        {
            float g = gradient[i];
            if (!float.IsFinite(g))
            {
                found[0] = 1;   // a benign race: every writer writes 1
            }

            gradient[i] = g * inverseScale;
        }
    }

    public static void Sgd<TW, SW>(Index1D index, ArrayView<float> master, ArrayView<float> gradient, ArrayView<float> momentum, ArrayView<TW> working, SgdStepScalars s, int hasWorking, int stride, SW sw)
        where TW : unmanaged where SW : struct, IKernelStorage<TW>
    {
        for (long i = index; i < master.Length; i += stride)
        {
            float buf = s.HasMomentum ? momentum[i] : 0f;
            float p = OptimizerMath.Sgd(master[i], gradient[i], ref buf, s);
            master[i] = p;
            if (s.HasMomentum)
            {
                momentum[i] = buf;
            }

            if (hasWorking != 0)
            {
                working[i] = sw.FromFloat(p);
            }
        }
    }

    public static void AdamW<TW, SW>(Index1D index, ArrayView<float> master, ArrayView<float> gradient, ArrayView<float> m, ArrayView<float> v, ArrayView<TW> working, AdamWStepScalars s, int hasWorking, int stride, SW sw)
        where TW : unmanaged where SW : struct, IKernelStorage<TW>
    {
        for (long i = index; i < master.Length; i += stride)
        {
            float mi = m[i], vi = v[i];
            float p = OptimizerMath.AdamW(master[i], gradient[i], ref mi, ref vi, s);
            master[i] = p;
            m[i] = mi;
            v[i] = vi;
            if (hasWorking != 0)
            {
                working[i] = sw.FromFloat(p);
            }
        }
    }
}
