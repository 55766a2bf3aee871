using System.Globalization;
using Amp.Data;

namespace Amp.Generator.Tests.Gradients;

/// <summary>
/// One row of the gradient table in one placement, as a model: its source, its batch and the same values as
/// eager FP64 arguments. The scalar loss is a random linear functional of the op's output (Σ output · w, w a
/// loss-only input), so every output element's gradient is distinct and a wrong one shows.
/// </summary>
public sealed record CaseModel(OpCase Row, Placement Placement, int GradientOperand)
{
    private const int SourceWidth = 3;

    public string ClassName => $"{Row.Kind}_{Row.Form}_{(Placement == Placement.Forward ? "InForward" : $"InLoss{GradientOperand}")}";

    public override string ToString() => ClassName;

    /// <summary>The model as a user writes it: sources for the operands, the op, the reduction to a scalar loss.</summary>
    public string Source()
    {
        var forwardParameters = new List<string>();
        var lossParameters = new List<string> { "Tensor output" };
        var fields = new List<string>();
        var operands = new string[Row.Operands.Length];
        for (int i = 0; i < Row.Operands.Length; i++)
        {
            Operand o = Row.Operands[i];
            switch (o.Kind)
            {
                case OperandKind.Tokens:
                    forwardParameters.Add($"[Shape({Dims(o.Shape)})] Tokens ids{i}");
                    operands[i] = $"ids{i}";
                    break;
                case OperandKind.Labels:
                    lossParameters.Add($"[Classes({o.Limit})] Labels y{i}");
                    operands[i] = $"y{i}";
                    break;
                case OperandKind.Tensor when Placement == Placement.Forward || i == GradientOperand:
                    fields.Add($"readonly Linear src{i} = new({SourceWidth}, {Int(o.Shape[^1])});");
                    forwardParameters.Add($"[Shape({Dims([.. o.Shape[..^1], SourceWidth])})] Tensor x{i}");
                    operands[i] = Placement == Placement.Forward ? $"src{i}.Apply(x{i})" : "output";
                    break;
                default:
                    lossParameters.Add($"[Shape({Dims(o.Shape)})] Tensor t{i}");
                    operands[i] = $"t{i}";
                    break;
            }
        }

        string op = string.Format(CultureInfo.InvariantCulture, Row.Expression, operands);
        string forward = Placement == Placement.Forward ? op : $"src{GradientOperand}.Apply(x{GradientOperand})";
        string loss = Reduce(Placement == Placement.Forward ? "output" : op, lossParameters);
        return $$"""
            using Amp;
            using static Amp.Ops;

            namespace GradientCases;

            [Autocast(Precision.{{Row.Precision}})]
            public partial class {{ClassName}}
            {
                {{string.Join("\n    ", fields)}}
                {{Row.Fields}}

                [Forward]
                public Tensor Run({{string.Join(", ", forwardParameters)}}) => {{forward}};

                [Loss]
                public Tensor Loss({{string.Join(", ", lossParameters)}}) => {{loss}};
            }
            """;
    }

    /// <summary>The batch of <paramref name="size"/> samples, by input name, with deterministic values.</summary>
    public Dictionary<string, (Array Values, int[] Shape)> Inputs(int size)
    {
        var random = new Random(StableSeed(ClassName) ^ size);
        var inputs = new Dictionary<string, (Array, int[])>(StringComparer.Ordinal);
        for (int i = 0; i < Row.Operands.Length; i++)
        {
            Operand o = Row.Operands[i];
            switch (o.Kind)
            {
                case OperandKind.Tokens:
                    inputs[$"ids{i}"] = Ints(random, size, o.Shape, o.Limit);
                    break;
                case OperandKind.Labels:
                    inputs[$"y{i}"] = Ints(random, size, o.Shape, o.Limit);
                    break;
                case OperandKind.Tensor when Placement == Placement.Forward || i == GradientOperand:
                    inputs[$"x{i}"] = Floats(random, size, [.. o.Shape[..^1], SourceWidth]);
                    break;
                default:
                    inputs[$"t{i}"] = Floats(random, size, o.Shape);
                    break;
            }
        }

        if (Row.Output is { } output)
        {
            inputs["w"] = Floats(random, size, output);
        }

        return inputs;
    }

    public static Batch ToBatch(Dictionary<string, (Array Values, int[] Shape)> inputs)
    {
        var batch = new Batch();
        foreach ((string name, (Array values, _)) in inputs)
        {
            if (values is float[] floats)
            {
                batch.Add(name, floats);
            }
            else
            {
                batch.Add(name, (int[])values);
            }
        }

        return batch;
    }

    /// <summary>Σ op · w over every dimension (w: loss-only, the op's shape), or a fixed multiple of a scalar op.</summary>
    private string Reduce(string value, List<string> lossParameters)
    {
        if (Row.Output is not { } output)
        {
            return $"Scale({value}, 1.5f)";
        }

        lossParameters.Add($"[Shape({Dims(output)})] Tensor w");
        string sum = $"Mul({value}, w)";
        for (int i = 0; i <= output.Length; i++)
        {
            sum = $"Sum({sum})";
        }

        return sum;
    }

    private static (Array, int[]) Floats(Random random, int size, int[] sampleShape)
    {
        int[] shape = [size, .. sampleShape];
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
        {
            // Standard normal (Box-Muller).
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return (values, shape);
    }

    private static (Array, int[]) Ints(Random random, int size, int[] sampleShape, int limit)
    {
        int[] shape = [size, .. sampleShape];
        int[] values = new int[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
        {
            // A small range so ids repeat: an Embedding's gradient must add the rows of repeated ids.
            values[i] = random.Next(Math.Min(limit, 4));
        }

        return (values, shape);
    }

    /// <summary>FNV-1a: a seed that is the same in every process (string.GetHashCode is randomised per process).</summary>
    public static int StableSeed(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash & 0x7FFFFFFF);
    }

    private static string Dims(int[] sampleShape) => string.Join(", ", new[] { "Batch" }.Concat(sampleShape.Select(Int)));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
