namespace Amp;

/// <summary>The operations a model definition may call. Import with <c>using static Amp.Ops;</c>.</summary>
public static partial class Ops
{
    /// <summary>The symbolic batch dimension in a <see cref="ShapeAttribute"/>; fixed when a batch arrives.</summary>
    public const int Batch = -1;
}
