namespace Amp;

/// <summary>
/// A place where Amp's kernels run. Create one with <see cref="Create(DeviceKind)"/>; allocate tensors on it and call the
/// kernel library. Every public operation validates its arguments (shape mismatches name the argument and
/// both shapes) before the device-specific implementation runs.
/// </summary>
public abstract partial class AmpDevice : IDisposable
{
    /// <summary>The environment variable that overrides <see cref="DeviceKind.Auto"/>: cpu, ilgpucpu or cuda.</summary>
    public const string EnvironmentVariable = "AMP_DEVICE";

    private bool disposed;

    public abstract DeviceKind Kind { get; }

    /// <summary>One line saying what this device is (hardware, SIMD width, threads, GEMM path).</summary>
    public abstract string Description { get; }

    /// <summary>The GEMM implementation in use.</summary>
    public abstract GemmPath GemmPath { get; }

    /// <summary>
    /// ILGPU devices: true queues kernels in stream order and makes the host wait only where it reads (a loss, the
    /// found-inf flag, a tensor's values) or frees a buffer; false, the default, waits after every kernel until a
    /// GPU run has shown both give identical results (the GPU check runs both). The Cpu device is synchronous either way.
    /// </summary>
    public bool StreamOrdered { get; set; }

    public bool IsDisposed => disposed;

    /// <summary>
    /// Creates a device. <see cref="DeviceKind.Auto"/> reads <c>AMP_DEVICE</c> first, then takes Cuda when a
    /// GPU is present and Cpu otherwise. Asking for Cuda where there is none throws
    /// <see cref="AmpDeviceUnavailableException"/>.
    /// </summary>
    public static AmpDevice Create(DeviceKind kind = DeviceKind.Auto) =>
        Create(kind, Environment.GetEnvironmentVariable(EnvironmentVariable));

    internal static AmpDevice Create(DeviceKind kind, string? environmentOverride)
    {
        if (kind == DeviceKind.Auto)
        {
            kind = ResolveAuto(environmentOverride);
        }

        return kind switch
        {
            DeviceKind.Cpu => new CpuDevice(),
            DeviceKind.IlgpuCpu => IlgpuDevice.CreateSimulator(),
            DeviceKind.Cuda => IlgpuDevice.CreateCuda(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
        };
    }

    private static DeviceKind ResolveAuto(string? environmentOverride)
    {
        if (!string.IsNullOrWhiteSpace(environmentOverride))
        {
            return environmentOverride.Trim().ToLowerInvariant() switch
            {
                "cpu" => DeviceKind.Cpu,
                "ilgpucpu" or "ilgpu-cpu" => DeviceKind.IlgpuCpu,
                "cuda" or "gpu" => DeviceKind.Cuda,
                "auto" => IlgpuDevice.IsCudaPresent() ? DeviceKind.Cuda : DeviceKind.Cpu,
                _ => throw new ArgumentException(
                    $"{EnvironmentVariable}='{environmentOverride}' is not a device; use cpu, ilgpucpu, cuda or auto."),
            };
        }

        return IlgpuDevice.IsCudaPresent() ? DeviceKind.Cuda : DeviceKind.Cpu;
    }

    private long allocatedBytes;

    /// <summary>Bytes of the tensors allocated on this device and not yet disposed (views not counted).</summary>
    public long AllocatedBytes => Interlocked.Read(ref allocatedBytes);

    /// <summary>Allocates a zero-filled tensor.</summary>
    public DeviceTensor Allocate(Precision precision, params int[] shape)
    {
        ThrowIfDisposed();
        DeviceTensor tensor = AllocateCore(precision, new TensorShape(shape));
        tensor.OwnsStorage = true;
        Interlocked.Add(ref allocatedBytes, tensor.SizeInBytes);
        return tensor;
    }

    internal void Released(DeviceTensor tensor) => Interlocked.Add(ref allocatedBytes, -tensor.SizeInBytes);

    /// <summary>Allocates a tensor and copies <paramref name="values"/> in, rounding to <paramref name="precision"/>.</summary>
    public DeviceTensor FromHost(ReadOnlySpan<float> values, Precision precision, params int[] shape)
    {
        DeviceTensor tensor = Allocate(precision, shape);
        try
        {
            tensor.CopyFrom(values);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    protected abstract DeviceTensor AllocateCore(Precision precision, TensorShape shape);

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            DisposeCore();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract void DisposeCore();

    internal void ThrowIfDisposed()
    {
        if (disposed)
        {
            throw new ObjectDisposedException(GetType().Name, $"The {Kind} device has been disposed; create a new one with AmpDevice.Create.");
        }
    }

    public override string ToString() => Description;
}
