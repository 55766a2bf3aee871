namespace Amp;

/// <summary>The requested device kind is not present on this machine.</summary>
public sealed class AmpDeviceUnavailableException(string message, Exception? inner = null)
    : InvalidOperationException(message, inner);
