namespace Amp;

/// <summary>The floating-point formats Amp computes and stores in.</summary>
public enum Precision
{
    /// <summary>IEEE binary32: master weights, gradients, optimizer state, losses and every accumulator.</summary>
    Fp32,

    /// <summary>bfloat16: FP32's exponent range with an 8-bit significand (epsilon 2^-7). Needs no loss scaling.</summary>
    Bf16,

    /// <summary>IEEE binary16: max 65504, epsilon 2^-10. Needs a loss scaler in training.</summary>
    Fp16,
}

/// <summary>Facts about each <see cref="Precision"/>.</summary>
public static class PrecisionInfo
{
    /// <summary>Bytes one element takes in storage.</summary>
    public static int SizeOf(this Precision precision) => precision switch
    {
        Precision.Fp32 => 4,
        Precision.Bf16 or Precision.Fp16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>Unit roundoff u = 2^-(significand bits): half the distance from 1 to the next number.</summary>
    public static double UnitRoundoff(this Precision precision) => precision switch
    {
        Precision.Fp32 => Math.Pow(2, -24),
        Precision.Bf16 => Math.Pow(2, -8),
        Precision.Fp16 => Math.Pow(2, -11),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>Lower-case name used in messages and file formats (fp32, bf16, fp16).</summary>
    public static string Name(this Precision precision) => precision switch
    {
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        Precision.Fp16 => "fp16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };
}
