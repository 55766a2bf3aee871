using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Embedding: the gather of weight rows by id, and its backward (rows added into the weight gradient).
internal sealed partial class IlgpuDevice
{
    private protected override void ScatterAddRowsCore(DeviceTensor dy, DeviceTensor ids, float[] hostIds, DeviceTensor dtable)
    {
        using Fp32Copy gy = new(this, dy);
        int threads = Threads(dtable.Shape.Columns);
        Kernel("scatteraddrows", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuBackwardKernels.ScatterAddRows))(
            threads, gy.View, F(ids), F(dtable), dtable.Shape.Columns, threads);
        Launched();
    }

    private protected override void GatherCore(DeviceTensor table, DeviceTensor ids, float[] hostIds, DeviceTensor y) =>
        Dispatch2(table, y, new GatherLaunch(this, ((IlgpuTensor)ids).View<float>(), table.Shape.Columns, Threads(y.Length)));

    private readonly record struct GatherLaunch(IlgpuDevice Device, ArrayView<float> Ids, int Columns, int Threads) : ILaunch2
    {
        public void Run<TI, SI, TO, SO>(IlgpuTensor input, IlgpuTensor output)
            where TI : unmanaged where SI : struct, IKernelStorage<TI>
            where TO : unmanaged where SO : struct, IKernelStorage<TO>
        {
            var kernel = Device.Kernel(
                $"gather/{typeof(SI).Name}/{typeof(SO).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TI>, ArrayView<float>, ArrayView<TO>, int, int, SI, SO>(IlgpuModelKernels.Gather<TI, SI, TO, SO>));
            kernel(Threads, input.View<TI>(), Ids, output.View<TO>(), Columns, Threads, default, default);
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>One thread per column: table[ids[r], c] += dy[r, c], rows in order.</summary>
    public static void ScatterAddRows(Index1D index, ArrayView<float> dy, ArrayView<float> ids, ArrayView<float> table, int cols, int stride)
    {
        for (long c = index; c < cols; c += stride)
        {
            for (long r = 0; r < ids.Length; r++)
            {
                table[((long)ids[r] * cols) + c] += dy[(r * cols) + c];
            }
        }
    }
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y[r, c] = table[ids[r], c]; ids were range-checked on the host.</summary>
    public static void Gather<TT, ST, TY, SY>(Index1D index, ArrayView<TT> table, ArrayView<float> ids, ArrayView<TY> y, int cols, int stride, ST st, SY sy)
        where TT : unmanaged where ST : struct, IKernelStorage<TT>
        where TY : unmanaged where SY : struct, IKernelStorage<TY>
    {
        for (long i = index; i < y.Length; i += stride)
        {
            long row = i / cols;
            y[i] = sy.FromFloat(st.ToFloat(table[((long)ids[row] * cols) + (i % cols)]));
        }
    }
}
