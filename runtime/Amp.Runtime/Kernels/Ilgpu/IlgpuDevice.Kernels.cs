using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

internal sealed partial class IlgpuDevice
{
    private MemoryBuffer1D<float, Stride1D.Dense>? emptyFloats;
    private MemoryBuffer1D<int, Stride1D.Dense>? foundFlag;

    private ArrayView<float> EmptyFloats => (emptyFloats ??= Accelerator.Allocate1D<float>(1)).View;

    private int Threads(long work) => (int)Math.Max(1, Math.Min(work, LaunchThreads));

    // ---- GEMM: three storage types, dispatched one operand at a time ----
    private protected override void GemmCore(GemmProblem p, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        if (TryFastGemm(p, a, b, c, options))
        {
            return;
        }

        SimtGemm(p, a, b, c, options);
    }

    private void SimtGemm(GemmProblem p, DeviceTensor a, DeviceTensor b, DeviceTensor c, GemmOptions options)
    {
        GemmKernelArgs args = Args(p, options);

        // The kernel reads the bias as FP32; other storages are widened once for this call.
        using Fp32Copy bias = new(this, options.Bias);
        var call = new GemmCall(this, new Index3D(p.N, p.M, p.Batch), args, bias.View);
        switch (a.Precision)
        {
            case Precision.Fp32: call.WithA<float, Fp32Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
            case Precision.Bf16: call.WithA<ushort, Bf16Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
            default: call.WithA<KernelHalf, Fp16Storage>((IlgpuTensor)a, (IlgpuTensor)b, (IlgpuTensor)c); break;
        }

        Accelerator.Synchronize();
    }

    private readonly record struct GemmCall(IlgpuDevice Device, Index3D Extent, GemmKernelArgs Args, ArrayView<float> Bias)
    {
        public void WithA<TA, SA>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
        {
            switch (b.Precision)
            {
                case Precision.Fp32: WithB<TA, SA, float, Fp32Storage>(a, b, c); break;
                case Precision.Bf16: WithB<TA, SA, ushort, Bf16Storage>(a, b, c); break;
                default: WithB<TA, SA, KernelHalf, Fp16Storage>(a, b, c); break;
            }
        }

        private void WithB<TA, SA, TB, SB>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
            where TB : unmanaged where SB : struct, IKernelStorage<TB>
        {
            switch (c.Precision)
            {
                case Precision.Fp32: Launch<TA, SA, TB, SB, float, Fp32Storage>(a, b, c); break;
                case Precision.Bf16: Launch<TA, SA, TB, SB, ushort, Bf16Storage>(a, b, c); break;
                default: Launch<TA, SA, TB, SB, KernelHalf, Fp16Storage>(a, b, c); break;
            }
        }

        private void Launch<TA, SA, TB, SB, TC, SC>(IlgpuTensor a, IlgpuTensor b, IlgpuTensor c)
            where TA : unmanaged where SA : struct, IKernelStorage<TA>
            where TB : unmanaged where SB : struct, IKernelStorage<TB>
            where TC : unmanaged where SC : struct, IKernelStorage<TC>
        {
            var kernel = Device.Kernel(
                $"gemm/{typeof(SA).Name}/{typeof(SB).Name}/{typeof(SC).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index3D, ArrayView<TA>, ArrayView<TB>, ArrayView<TC>, ArrayView<float>, GemmKernelArgs, SA, SB, SC>(
                    IlgpuKernels.Gemm<TA, SA, TB, SB, TC, SC>));
            kernel(Extent, a.View<TA>(), b.View<TB>(), c.View<TC>(), Bias, Args, default, default, default);
        }
    }

    // ---- Casts and row kernels: two storage types each ----
    private protected override void CastCore(DeviceTensor source, DeviceTensor destination) =>
        Dispatch2(source, destination, new CastLaunch(this, Threads(source.Length)));

    private protected override void RowReduceCore(DeviceTensor x, DeviceTensor result, RowReduction reduction) =>
        Dispatch2(x, result, new RowReduceLaunch(this, x.Shape.Columns, (int)reduction, Threads(result.Length)));

    private protected override void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log) =>
        Dispatch2(x, y, new SoftmaxLaunch(this, x.Shape.Rows, x.Shape.Columns, log ? 1 : 0, Threads(x.Shape.Rows)));

    private protected override void NormStatisticsCore(DeviceTensor x, DeviceTensor? mean, DeviceTensor rstd, float epsilon)
    {
        ArrayView<float> meanView = mean is null ? EmptyFloats : ((IlgpuTensor)mean).View<float>();
        ArrayView<float> rstdView = ((IlgpuTensor)rstd).View<float>();
        int cols = x.Shape.Columns, threads = Threads(rstd.Length), hasMean = mean is null ? 0 : 1;
        var t = (IlgpuTensor)x;
        switch (x.Precision)
        {
            case Precision.Fp32: Norm<float, Fp32Storage>(); break;
            case Precision.Bf16: Norm<ushort, Bf16Storage>(); break;
            default: Norm<KernelHalf, Fp16Storage>(); break;
        }

        Accelerator.Synchronize();

        void Norm<T, S>()
            where T : unmanaged where S : struct, IKernelStorage<T>
        {
            var kernel = Kernel(
                $"norm/{typeof(S).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<float>, ArrayView<float>, int, float, int, int, S>(
                    IlgpuKernels.NormStatistics<T, S>));
            kernel(threads, t.View<T>(), meanView, rstdView, cols, epsilon, hasMean, threads, default);
        }
    }

    private interface ILaunch2
    {
        void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>;
    }

    private void Dispatch2<TLaunch>(DeviceTensor input, DeviceTensor output, TLaunch launch)
        where TLaunch : struct, ILaunch2
    {
        var i = (IlgpuTensor)input;
        var o = (IlgpuTensor)output;
        switch (input.Precision)
        {
            case Precision.Fp32: Output<float, Fp32Storage>(); break;
            case Precision.Bf16: Output<ushort, Bf16Storage>(); break;
            default: Output<KernelHalf, Fp16Storage>(); break;
        }

        Accelerator.Synchronize();

        void Output<TI, SI>()
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
        {
            switch (output.Precision)
            {
                case Precision.Fp32: launch.Run<TI, SI, float, Fp32Storage>(i, o); break;
                case Precision.Bf16: launch.Run<TI, SI, ushort, Bf16Storage>(i, o); break;
                default: launch.Run<TI, SI, KernelHalf, Fp16Storage>(i, o); break;
            }
        }
    }

    private readonly record struct CastLaunch(IlgpuDevice Device, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"cast/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, SI, SO>(IlgpuKernels.Cast<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Threads, default, default);
        }
    }

    private readonly record struct RowReduceLaunch(IlgpuDevice Device, int Columns, int Mode, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"rowreduce/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, int, int, int, SI, SO>(IlgpuKernels.RowReduce<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Columns, Mode, Threads, default, default);
        }
    }

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
        var flag = new int[1];
        foundFlag.View.CopyToCPU(flag);
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
        Accelerator.Synchronize();

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
        Accelerator.Synchronize();

        void Run<TW, SW>(ArrayView<TW> w, int hasWorking)
            where TW : unmanaged where SW : struct, IKernelStorage<TW>
        {
            var kernel = Kernel(
                $"adamw/{typeof(SW).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<TW>, AdamWStepScalars, int, int, SW>(IlgpuKernels.AdamW<TW, SW>));
            kernel(threads, ((IlgpuTensor)master).View<float>(), ((IlgpuTensor)gradient).View<float>(), ((IlgpuTensor)m).View<float>(), ((IlgpuTensor)v).View<float>(), w, s, hasWorking, threads, default);
        }
    }
}
