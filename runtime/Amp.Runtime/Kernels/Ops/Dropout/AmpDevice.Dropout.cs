namespace Amp;

// Dropout (PyTorch's semantics: each element zeroed with probability p, the kept ones scaled by 1/(1 - p)) with masks
// from a counter-based generator: the mask of element i is a hash of (seed, counter, op, i), so the forward and the
// backward draw the same mask without storing it, and Cpu and ILGPU draw the same masks.
public abstract partial class AmpDevice
{
    /// <summary>y = x * mask / (1 - p) where the key is active (training), y = x otherwise; FP32 math, y's precision.</summary>
    public void Dropout(DeviceTensor x, DeviceTensor y, float p, DropoutKey key)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        CheckProbability(p);
        DropoutCore(x, y, p, key);
    }

    /// <summary>dx += dy * mask / (1 - p), the mask drawn again from the forward's key.</summary>
    public void DropoutBackward(DeviceTensor dy, DeviceTensor dx, float p, DropoutKey key)
    {
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        ShapeCheck.Same(dy, dx, nameof(dx));
        CheckProbability(p);
        DropoutBackwardCore(dy, dx, p, key);
    }

    private static void CheckProbability(float p)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout's probability must be in [0, 1).");
        }
    }

    private protected abstract void DropoutCore(DeviceTensor x, DeviceTensor y, float p, DropoutKey key);

    private protected abstract void DropoutBackwardCore(DeviceTensor dy, DeviceTensor dx, float p, DropoutKey key);
}

/// <summary>
/// Which Dropout masks a pass draws: the model's seed (drawn from <see cref="Init"/> at Compile), the counter of its
/// TrainStep calls, the op's salt; <see cref="Active"/> 0 in eval mode (Dropout is the identity). Blittable, so ILGPU
/// kernels take it as an argument.
/// </summary>
public readonly record struct DropoutKey(ulong Seed, ulong Counter, int Salt, int Active)
{
    /// <summary>Whether element <paramref name="index"/> is kept (SplitMix64's finaliser of the key and index; 24 bits of it against p).</summary>
    public bool Keep(long index, float p)
    {
        ulong z = Seed + (0x9E3779B97F4A7C15UL * (Counter + 1)) + (0xD1B54A32D192ED03UL * (ulong)(Salt + 1)) + ((ulong)index * 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        // A 24-bit integer as int: ILGPU converts signed 32-bit integers to float directly (unsigned ones through FP64).
        return (int)(z >> 40) * (1f / 16777216f) >= p;
    }
}
