using Amp.Compilation;
using ILGPU;
using ILGPU.Runtime;

namespace Amp;

// Generated elementwise kernels, one launcher for every arity: loaded once per device by their method, launched
// with a grid-stride extent. A leaf slot the chain does not read gets a one-element FP32 view it never loads.
internal sealed partial class IlgpuDevice
{
    internal void Chain<T0, T1, T2, T3, TY>(
        Action<Index1D, ArrayView<T0>, ArrayView<T1>, ArrayView<T2>, ArrayView<T3>, ArrayView<TY>, ChainExtent> kernel,
        DeviceTensor y, DeviceTensor x0, DeviceTensor? x1, DeviceTensor? x2, DeviceTensor? x3)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where TY : unmanaged
    {
        ChainExtent e = Extent(y, x0, x1, x2, x3);
        Load(kernel, k => Accelerator.LoadAutoGroupedStreamKernel(k))(e.Stride, Leaf<T0>(x0), Leaf<T1>(x1), Leaf<T2>(x2), Leaf<T3>(x3), View<TY>(y), e);
        Launched();
    }

    /// <summary>
    /// A backward chain: dx (the output's length) += kernel(g, x0..x3); leaves broadcast as in the forward. The kernel
    /// reads and adds FP32: a BF16/FP16 gradient is widened first and dx rounded back once (<see cref="Fp32Copy"/>).
    /// </summary>
    internal void GradChain<T0, T1, T2, T3>(
        Action<Index1D, ArrayView<float>, ArrayView<T0>, ArrayView<T1>, ArrayView<T2>, ArrayView<T3>, ArrayView<float>, ChainExtent> kernel,
        DeviceTensor dx, DeviceTensor g, DeviceTensor? x0, DeviceTensor? x1, DeviceTensor? x2, DeviceTensor? x3)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged
    {
        ChainExtent e = Extent(dx, x0, x1, x2, x3);
        using Fp32Copy gradient = new(this, g), target = new(this, dx, writeBack: true);
        Load(kernel, k => Accelerator.LoadAutoGroupedStreamKernel(k))(
            e.Stride, gradient.View, Leaf<T0>(x0), Leaf<T1>(x1), Leaf<T2>(x2), Leaf<T3>(x3), target.View, e);
        Launched();
    }

    private static ArrayView<T> View<T>(DeviceTensor t)
        where T : unmanaged => ((IlgpuTensor)t).View<T>();

    /// <summary>A leaf's view, or for an absent leaf (its type argument is float) the device's one-element FP32 view.</summary>
    private ArrayView<T> Leaf<T>(DeviceTensor? t)
        where T : unmanaged
    {
        if (t is not null)
        {
            return View<T>(t);
        }

        if (typeof(T) != typeof(float))
        {
            throw new ArgumentException($"An absent chain leaf must be typed float, not {typeof(T).Name}.", nameof(t));
        }

        // T is float here: a reinterpretation, not a box per launch.
        ArrayView<float> empty = EmptyFloats;
        return System.Runtime.CompilerServices.Unsafe.As<ArrayView<float>, ArrayView<T>>(ref empty);
    }

    private TLauncher Load<TKernel, TLauncher>(TKernel kernel, Func<TKernel, TLauncher> load)
        where TKernel : Delegate where TLauncher : Delegate =>
        Kernel($"chain/{kernel.Method.DeclaringType?.FullName}/{kernel.Method.Name}", _ => load(kernel));

    private ChainExtent Extent(DeviceTensor y, DeviceTensor? x0, DeviceTensor? x1, DeviceTensor? x2, DeviceTensor? x3) => new()
    {
        Length = y.Length,
        Stride = Threads(y.Length),
        N0 = x0?.Length ?? 1,
        N1 = x1?.Length ?? 1,
        N2 = x2?.Length ?? 1,
        N3 = x3?.Length ?? 1,
    };
}
