namespace Amp;

// The kernel library as every device offers it, one folder per op under Kernels/Ops/ (llm.c style): the op's
// validated public entry points and abstract *Core methods (AmpDevice.Op.cs), its vectorised Cpu implementation
// (CpuDevice.Op.cs) and its ILGPU launches and kernels (IlgpuDevice.Op.cs), forward beside backward. Backward
// kernels take FP32 gradients and ACCUMULATE into their gradient outputs (dx += ...), so a tensor read by several
// ops sums their contributions without a separate add; the caller zeroes gradient buffers once per step (Fill).
// Saved activations are read in the precision they were stored in. This file holds what every op shares.
public abstract partial class AmpDevice
{
    /// <summary>Checks that the tensor is alive and lives on this device.</summary>
    internal void Owns(DeviceTensor tensor, string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Device, this))
        {
            throw new ArgumentException($"'{name}' ({tensor}) lives on another device than {Kind}.", name);
        }

        tensor.ThrowIfDisposed();
    }

    /// <summary>
    /// Ids stored as FP32 read back once and checked to be integers in [0, limit), or the <paramref name="ignored"/> value
    /// (CrossEntropy's ignore_index); the Cpu kernels use the copy.
    /// </summary>
    private static float[] HostIds(DeviceTensor ids, int limit, string name, string what, int? ignored = null)
    {
        float[] values = ids.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != ignored && (values[i] < 0 || values[i] >= limit || values[i] != MathF.Floor(values[i])))
            {
                throw new ArgumentOutOfRangeException(name, values[i],
                    $"{what} {i} is not an integer in [0, {limit}){(ignored is { } skip ? $" nor the ignored {skip}" : string.Empty)}.");
            }
        }

        return values;
    }
}

// The values are the ILGPU kernel's mode argument.
internal enum RowReduction
{
    Sum = 0,
    Max = 1,
    Mean = 2,
}
