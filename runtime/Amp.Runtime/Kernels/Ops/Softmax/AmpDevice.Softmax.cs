namespace Amp;

// Softmax and LogSoftmax over the last dimension, forward and backward (from the saved output), in FP32.
public abstract partial class AmpDevice
{
    /// <summary>y = softmax over the last dimension, computed in FP32 (max-subtracted), stored in y's precision.</summary>
    public void Softmax(DeviceTensor x, DeviceTensor y) => SoftmaxRows(x, y, log: false);

    /// <summary>y = log-softmax over the last dimension: x - max - log(sum(exp(x - max))), in FP32.</summary>
    public void LogSoftmax(DeviceTensor x, DeviceTensor y) => SoftmaxRows(x, y, log: true);

    private void SoftmaxRows(DeviceTensor x, DeviceTensor y, bool log)
    {
        Owns(x, nameof(x));
        Owns(y, nameof(y));
        ShapeCheck.Same(x, y, nameof(y));
        SoftmaxCore(x, y, log);
    }

    private protected abstract void SoftmaxCore(DeviceTensor x, DeviceTensor y, bool log);

    /// <summary>
    /// Softmax: dx += y * (dy - sum(dy * y)); log-softmax (log = true, y = log-probabilities): dx += dy - exp(y) * sum(dy).
    /// Rows are the last dimension, in FP32.
    /// </summary>
    public void SoftmaxBackward(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log)
    {
        Owns(y, nameof(y));
        Owns(dy, nameof(dy));
        Owns(dx, nameof(dx));
        ShapeCheck.Same(y, dy, nameof(dy));
        ShapeCheck.Same(y, dx, nameof(dx));
        SoftmaxBackwardCore(y, dy, dx, log);
    }

    private protected abstract void SoftmaxBackwardCore(DeviceTensor y, DeviceTensor dy, DeviceTensor dx, bool log);
}
