using Microsoft.CodeAnalysis;

namespace Amp.Analyzers;

/// <summary>
/// The catalog of Amp's analyzer diagnostics (AMP0xxx): advice on unsafe FP16 use. IDs are stable; each has a
/// page docs/diagnostics/ID.md. (AMP1xxx, the generator's blocking errors, live in the generator.)
/// </summary>
internal static class AnalyzerDescriptors
{
    private const string Category = "Amp.Precision";

    public static readonly DiagnosticDescriptor Fp32OpInFp16 = Create(
        "AMP0001", "FP32-policy op forced into FP16",
        "{0} runs in FP16 here ({1}); it belongs to the FP32 list: FP16 overflows above 65504 and exp(x) already for x > 11.09",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor LogOfSoftmax = Create(
        "AMP0002", "Log of Softmax: use LogSoftmax",
        "Log(Softmax(x)) takes the log of probabilities that underflow to 0 (log 0 = -infinity); LogSoftmax(x) computes x - max - log(sum(exp(x - max))) stably",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HalfAccumulation = Create(
        "AMP0003", "Accumulation in FP16",
        "'{0}' accumulates in {1}: FP16 has 11 significant bits, so 2048 + 1 == 2048 and long sums stall; accumulate in float and convert once",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HalfConstant = Create(
        "AMP0004", "Constant out of FP16 range",
        "{0} converted to FP16 becomes {1}",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor Fp16WithoutScaling = Create(
        "AMP0005", "FP16 training without loss scaling",
        "{0} trains in FP16 with loss scaling disabled: gradients below 6e-8 flush to zero in FP16; use a dynamic LossScaler",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ScalerNotNeeded = Create(
        "AMP0006", "Loss scaler on a BF16 or FP32 model",
        "{0} trains in {1}, whose range equals FP32's: an enabled loss scaler only costs an extra pass",
        DiagnosticSeverity.Info,
        enabledByDefault: false);

    public static readonly DiagnosticDescriptor LowPrecisionState = Create(
        "AMP0007", "Master weights, gradients or optimizer state in 16 bits",
        "'{0}' of {1} is a {2} tensor: master weights, their gradients and optimizer state must be FP32 (updates below half a 16-bit ulp are lost, and GradScaler refuses to unscale FP16 gradients)",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClipBeforeUnscale = Create(
        "AMP0008", "Gradient norm taken before unscaling",
        "The gradient norm is taken before UnscaleAndCheck divides the gradients by the loss scale: it is the scaled norm (up to 65536 times too large), so clipping is wrong; unscale first",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor RedundantKeepFp32 = Create(
        "AMP0009", "[KeepFp32] where everything is FP32 anyway",
        "[KeepFp32] on {0} changes nothing: {1}",
        DiagnosticSeverity.Info,
        enabledByDefault: false);

    public static readonly DiagnosticDescriptor LogOfSigmoid = Create(
        "AMP0010", "Sigmoid then log (binary cross-entropy on probabilities)",
        "Log(Sigmoid(x)) is binary cross-entropy on probabilities: sigmoid saturates to exactly 1 for x > 17 in FP32 (x > 8.3 in FP16) and to 0 below -104, so the log is 0 or -infinity and the gradient vanishes; use the with-logits form, BinaryCrossEntropyWithLogits(logits, targets)",
        DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, bool enabledByDefault = true) =>
        new(id, title, message, Category, severity, enabledByDefault, helpLinkUri: Generator.Diagnostics.DiagnosticDescriptors.HelpRoot + id + ".md");
}
