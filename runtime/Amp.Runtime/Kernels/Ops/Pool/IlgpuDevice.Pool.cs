using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Pooling on ILGPU: the forward one thread per output element, typed by both storages; the backward one thread per
// plane (windows of one plane may overlap, so each plane's gradient is added by one thread, in order, without atomics).
internal sealed partial class IlgpuDevice
{
    private protected override void Pool2dCore(DeviceTensor x, DeviceTensor y, PoolWindow window) =>
        Dispatch2(x, y, new PoolLaunch(this, window, Threads(y.Length)));

    private readonly record struct PoolLaunch(IlgpuDevice Device, PoolWindow Window, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"pool/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<TO>, PoolWindow, int, SI, SO>(IlgpuModelKernels.Pool2d<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), output.View<TO>(), Window, Threads, default, default);
        }
    }

    private protected override void Pool2dBackwardCore(DeviceTensor x, DeviceTensor dy, DeviceTensor dx, PoolWindow window)
    {
        using Fp32Copy xs = new(this, x), gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads(window.Planes);
        Kernel("poolbackward", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolWindow, int>(IlgpuBackwardKernels.Pool2dBackward))(
            threads, xs.View, gy.View, gx.View, window, threads);
        Launched();
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y[plane, i, j] = max or mean of its window, in FP32, rounded once to y's storage.</summary>
    public static void Pool2d<TI, SI, TO, SO>(Index1D index, ArrayView<TI> x, ArrayView<TO> y, PoolWindow p, int stride, SI si, SO so)
        where TI : unmanaged where SI : struct, IKernelStorage<TI>
        where TO : unmanaged where SO : struct, IKernelStorage<TO>
    {
        for (long o = index; o < y.Length; o += stride)
        {
            long j = o % p.OutW, rest = o / p.OutW;
            long i = rest % p.OutH, plane = rest / p.OutH;
            long origin = (plane * p.H * p.W) + (i * p.StrideH * p.W) + (j * p.StrideW);
            float acc = p.Max ? si.ToFloat(x[origin]) : 0f;
            for (int u = 0; u < p.KernelH; u++)
            {
                for (int v = 0; v < p.KernelW; v++)
                {
                    float value = si.ToFloat(x[origin + (u * p.W) + v]);
                    acc = !p.Max ? acc + value : float.IsNaN(acc) ? acc : value > acc || float.IsNaN(value) ? value : acc;
                }
            }

            y[o] = so.FromFloat(p.Max ? acc : acc / (p.KernelH * p.KernelW));
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>One thread per plane: dx += dy to each window's first maximum, or dy / (kh kw) over the window.</summary>
    public static void Pool2dBackward(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, PoolWindow p, int stride)
    {
        for (long plane = index; plane < p.Planes; plane += stride)
        {
            long start = plane * p.H * p.W;
            float share = 1f / (p.KernelH * p.KernelW);
            for (int i = 0; i < p.OutH; i++)
            {
                for (int j = 0; j < p.OutW; j++)
                {
                    float grad = dy[(plane * p.OutH * p.OutW) + (i * p.OutW) + j];
                    long origin = start + (i * p.StrideH * p.W) + (j * p.StrideW);
                    if (p.Max)
                    {
                        long best = origin;
                        for (int u = 0; u < p.KernelH; u++)
                        {
                            for (int v = 0; v < p.KernelW; v++)
                            {
                                long at = origin + (u * p.W) + v;
                                float b = x[best], a = x[at];
                                if (!float.IsNaN(b) && (a > b || float.IsNaN(a)))
                                {
                                    best = at;
                                }
                            }
                        }

                        dx[best] += grad;
                        continue;
                    }

                    for (int u = 0; u < p.KernelH; u++)
                    {
                        for (int v = 0; v < p.KernelW; v++)
                        {
                            dx[origin + (u * p.W) + v] += grad * share;
                        }
                    }
                }
            }
        }
    }
}
