using ILGPU;
using ILGPU.Runtime;
using KernelHalf = ILGPU.Half;

namespace Amp;

// Cat, Slice and Split: a block of columns of every row copied between two row layouts, and its accumulating backward.
internal sealed partial class IlgpuDevice
{
    private protected override void CopyColumnsCore(DeviceTensor x, DeviceTensor y, int rows, int xColumns, int xStart, int yColumns, int yStart, int count)
    {
        var ix = (IlgpuTensor)x;
        var iy = (IlgpuTensor)y;
        int threads = Threads((long)rows * count);
        switch (x.Precision)
        {
            case Precision.Fp32: Copy<float>(); break;
            case Precision.Bf16: Copy<ushort>(); break;
            default: Copy<KernelHalf>(); break;
        }

        Launched();

        void Copy<T>()
            where T : unmanaged
        {
            var kernel = Kernel(
                $"copycolumns/{typeof(T).Name}",
                acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ColumnBlock, int>(IlgpuModelKernels.CopyColumns<T>));
            kernel(threads, ix.View<T>(), iy.View<T>(), new ColumnBlock(rows, xColumns, xStart, yColumns, yStart, count), threads);
        }
    }

    private protected override void AccumulateColumnsCore(DeviceTensor dy, DeviceTensor dx, int rows, int dyColumns, int dyStart, int dxColumns, int dxStart, int count)
    {
        using Fp32Copy gy = new(this, dy), gx = new(this, dx, writeBack: true);
        int threads = Threads((long)rows * count);
        Kernel("accumulatecolumns", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ColumnBlock, int>(IlgpuBackwardKernels.AccumulateColumns))(
            threads, gy.View, gx.View, new ColumnBlock(rows, dyColumns, dyStart, dxColumns, dxStart, count), threads);
        Launched();
    }
}

/// <summary>Where a block of columns sits in its source and its destination rows (a kernel argument: plain fields).</summary>
internal readonly struct ColumnBlock(int rows, int fromColumns, int fromStart, int toColumns, int toStart, int count)
{
    public readonly int Rows = rows;
    public readonly int FromColumns = fromColumns;
    public readonly int FromStart = fromStart;
    public readonly int ToColumns = toColumns;
    public readonly int ToStart = toStart;
    public readonly int Count = count;
}

internal static partial class IlgpuModelKernels
{
    /// <summary>y[r, yStart + c] = x[r, xStart + c], one element per step of the grid-stride loop.</summary>
    public static void CopyColumns<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, ColumnBlock block, int stride)
        where T : unmanaged
    {
        long total = (long)block.Rows * block.Count;
        for (long i = index; i < total; i += stride)
        {
            long r = i / block.Count, c = i % block.Count;
            y[(r * block.ToColumns) + block.ToStart + c] = x[(r * block.FromColumns) + block.FromStart + c];
        }
    }
}

internal static partial class IlgpuBackwardKernels
{
    /// <summary>dx[r, dxStart + c] += dy[r, dyStart + c]: every destination element is written by one thread.</summary>
    public static void AccumulateColumns(Index1D index, ArrayView<float> dy, ArrayView<float> dx, ColumnBlock block, int stride)
    {
        long total = (long)block.Rows * block.Count;
        for (long i = index; i < total; i += stride)
        {
            long r = i / block.Count, c = i % block.Count;
            dx[(r * block.ToColumns) + block.ToStart + c] += dy[(r * block.FromColumns) + block.FromStart + c];
        }
    }
}
