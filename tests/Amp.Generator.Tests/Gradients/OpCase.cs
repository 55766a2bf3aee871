namespace Amp.Generator.Tests.Gradients;

/// <summary>Where the op under test sits: in the [Forward] graph, or in the [Loss] graph on the forward output.</summary>
public enum Placement
{
    Forward,
    Loss,
}

/// <summary>What an operand of the op is fed from.</summary>
public enum OperandKind
{
    /// <summary>Floats: in [Forward], a <c>Linear(3, n)</c> of an input, so its gradient reaches a weight; in [Loss], the forward output or a loss-only input.</summary>
    Tensor,

    /// <summary>Integer ids (an Embedding's input), a [Forward] input.</summary>
    Tokens,

    /// <summary>Class targets (CrossEntropy's), a loss-only input.</summary>
    Labels,
}

/// <summary>One operand: its kind and its per-sample shape (the batch comes first); for ids and labels, the bound.</summary>
public sealed record Operand(OperandKind Kind, int[] Shape, int Limit = 0)
{
    public static Operand Of(params int[] shape) => new(OperandKind.Tensor, shape);
}

/// <summary>
/// One row of the gradient table: an op in one form (a reduction axis, a broadcast, a layer option), written as a
/// C# expression over its operands <c>{0}</c>, <c>{1}</c>, .. exactly as a user writes it in a model. The harness
/// builds from each row one model per placement (and, in [Loss], one per operand that carries the gradient),
/// compiles it with the generator and checks its gradients against finite differences of the FP64 reference.
/// A new op is covered by adding its rows.
/// </summary>
/// <param name="Kind">The op under test; the compiled plan must contain it.</param>
/// <param name="Form">What this row varies, as a short identifier (<c>batch_axis</c>, <c>scalar_right</c>).</param>
/// <param name="Expression">The op, in model syntax, over <c>{0}</c>.. (format placeholders).</param>
/// <param name="Operands">The operands' kinds and per-sample shapes.</param>
/// <param name="Output">The expression's per-sample shape; null for a scalar (a tensor with no batch dimension).</param>
/// <param name="Placements">Where the op may sit; both by default (losses sit in [Loss], Tokens feed [Forward]).</param>
/// <param name="Fields">Layer fields the expression uses, as C# member declarations.</param>
/// <param name="Precision">The autocast precision of the model (FP32 unless the row tests a cast).</param>
/// <param name="Tolerance">Relative tolerance of the comparison (the FP32 bound unless the row computes in 16 bits).</param>
public sealed record OpCase(
    OpKind Kind,
    string Form,
    string Expression,
    Operand[] Operands,
    int[]? Output,
    Placement[]? Placements = null,
    string Fields = "",
    Precision Precision = Precision.Fp32,
    double Tolerance = 2e-3)
{
    public IReadOnlyList<Placement> Where => Placements ?? [Placement.Forward, Placement.Loss];

    /// <summary>The models this row becomes: [Forward] once, [Loss] once per distinct float operand that carries the gradient.</summary>
    public IEnumerable<CaseModel> Models()
    {
        if (Where.Contains(Placement.Forward))
        {
            yield return new CaseModel(this, Placement.Forward, -1);
        }

        if (!Where.Contains(Placement.Loss))
        {
            yield break;
        }

        for (int i = 0; i < Operands.Length; i++)
        {
            if (Operands[i].Kind == OperandKind.Tensor)
            {
                yield return new CaseModel(this, Placement.Loss, i);
            }
        }
    }
}
