namespace Amp;

/// <summary>One weight tensor of a layer: its PyTorch name within the layer, shape and FP32 values (not copied).</summary>
public sealed record LayerParameter(string Name, int[] Shape, float[] Values);

/// <summary>A layer with weights. Layers are model fields built with constant arguments; the generator reads them.</summary>
public abstract class Layer
{
    /// <summary>The layer's weights in PyTorch order and layout (for example weight [out, in], then bias).</summary>
    public abstract IReadOnlyList<LayerParameter> Parameters { get; }

    /// <summary>The layer's buffers (state that is not trained, such as BatchNorm's running statistics), PyTorch names; none by default.</summary>
    public virtual IReadOnlyList<LayerParameter> Buffers => [];

    /// <summary>Draws fresh initial values from <see cref="Init"/>, as the constructor did.</summary>
    public abstract void ResetParameters();

    private protected static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "Layer dimensions must be positive.");

    /// <summary>
    /// A weight of rows x columns floats, or an ArgumentException naming the layer and the size when it cannot be one
    /// .NET array (the product is taken in 64 bits: 46341 x 46341 and 65536 x 65536 once overflowed).
    /// </summary>
    private protected static float[] Weights(int rows, int columns, string layer)
    {
        long count = (long)rows * columns;
        return count <= Array.MaxLength
            ? new float[count]
            : throw new ArgumentException(
                $"{layer}: a {rows} x {columns} weight has {count:N0} elements, more than one array holds ({Array.MaxLength:N0}).");
    }

    private protected static float Epsilon(float value, string name) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, "Epsilon must be finite and non-negative.");

    private protected static void CheckFeatures(Tensor x, int expected, string layer)
    {
        if (x.Columns != expected)
        {
            throw new ArgumentException($"{layer} expects {expected} features in the last dimension; x has shape {EagerShape.Format(x.Shape)}.", nameof(x));
        }
    }
}

/// <summary>y = x W^T + b (PyTorch's nn.Linear): weight [out, in], bias [out], U(-1/sqrt(in), 1/sqrt(in)) initial values.</summary>
public sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        InFeatures = Positive(inFeatures, nameof(inFeatures));
        OutFeatures = Positive(outFeatures, nameof(outFeatures));
        Weight = Weights(outFeatures, inFeatures, $"Linear({inFeatures}, {outFeatures})");
        Bias = bias ? new float[outFeatures] : null;
        ResetParameters();
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public float[] Weight { get; }

    public float[]? Bias { get; }

    public override IReadOnlyList<LayerParameter> Parameters => Bias is null
        ? [new("weight", [OutFeatures, InFeatures], Weight)]
        : [new("weight", [OutFeatures, InFeatures], Weight), new("bias", [OutFeatures], Bias)];

    public override void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(InFeatures);
        Init.Uniform(Weight, bound);
        if (Bias is not null)
        {
            Init.Uniform(Bias, bound);
        }
    }

    /// <summary>Eager FP64: [.., in] -> [.., out].</summary>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFeatures(x, InFeatures, nameof(Linear));
        int rows = x.Rows;
        var y = new double[rows * OutFeatures];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < OutFeatures; o++)
            {
                double sum = Bias is null ? 0 : Bias[o];
                for (int i = 0; i < InFeatures; i++)
                {
                    sum += x.Values[(r * InFeatures) + i] * (double)Weight[(o * InFeatures) + i];
                }

                y[(r * OutFeatures) + o] = sum;
            }
        }

        return new Tensor(y, [.. x.Dims[..^1], OutFeatures]);
    }
}

/// <summary>PyTorch's nn.LayerNorm over the last dimension: weight (ones) and bias (zeros) of [dim], biased variance.</summary>
public sealed class LayerNorm : Layer
{
    public LayerNorm(int dim, float eps = 1e-5f)
    {
        Dim = Positive(dim, nameof(dim));
        Eps = Epsilon(eps, nameof(eps));
        Weight = new float[dim];
        Bias = new float[dim];
        ResetParameters();
    }

    public int Dim { get; }

    public float Eps { get; }

    public float[] Weight { get; }

    public float[] Bias { get; }

    public override IReadOnlyList<LayerParameter> Parameters => [new("weight", [Dim], Weight), new("bias", [Dim], Bias)];

    public override void ResetParameters()
    {
        Array.Fill(Weight, 1f);
        Array.Fill(Bias, 0f);
    }

    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFeatures(x, Dim, nameof(LayerNorm));
        var y = new double[x.Length];
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<double> row = x.Values.AsSpan(r * Dim, Dim);
            double mean = 0, variance = 0;
            foreach (double v in row)
            {
                mean += v;
            }

            mean /= Dim;
            foreach (double v in row)
            {
                variance += (v - mean) * (v - mean);
            }

            double rstd = 1 / Math.Sqrt((variance / Dim) + Eps);
            for (int c = 0; c < Dim; c++)
            {
                y[(r * Dim) + c] = ((row[c] - mean) * rstd * Weight[c]) + Bias[c];
            }
        }

        return new Tensor(y, x.Dims);
    }
}

/// <summary>Root-mean-square norm over the last dimension: x / sqrt(mean(x^2) + eps) * weight (ones).</summary>
public sealed class RmsNorm : Layer
{
    public RmsNorm(int dim, float eps = 1e-6f)
    {
        Dim = Positive(dim, nameof(dim));
        Eps = Epsilon(eps, nameof(eps));
        Weight = new float[dim];
        ResetParameters();
    }

    public int Dim { get; }

    public float Eps { get; }

    public float[] Weight { get; }

    public override IReadOnlyList<LayerParameter> Parameters => [new("weight", [Dim], Weight)];

    public override void ResetParameters() => Array.Fill(Weight, 1f);

    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFeatures(x, Dim, nameof(RmsNorm));
        var y = new double[x.Length];
        for (int r = 0; r < x.Rows; r++)
        {
            ReadOnlySpan<double> row = x.Values.AsSpan(r * Dim, Dim);
            double squares = 0;
            foreach (double v in row)
            {
                squares += v * v;
            }

            double rstd = 1 / Math.Sqrt((squares / Dim) + Eps);
            for (int c = 0; c < Dim; c++)
            {
                y[(r * Dim) + c] = row[c] * rstd * Weight[c];
            }
        }

        return new Tensor(y, x.Dims);
    }
}

/// <summary>A lookup table [vocab, dim] (PyTorch's nn.Embedding, N(0, 1) initial values): token ids -> rows.</summary>
public sealed class Embedding : Layer
{
    public Embedding(int vocab, int dim)
    {
        Vocab = Positive(vocab, nameof(vocab));
        Dim = Positive(dim, nameof(dim));
        Weight = Weights(vocab, dim, $"Embedding({vocab}, {dim})");
        ResetParameters();
    }

    public int Vocab { get; }

    public int Dim { get; }

    public float[] Weight { get; }

    public override IReadOnlyList<LayerParameter> Parameters => [new("weight", [Vocab, Dim], Weight)];

    public override void ResetParameters() => Init.Normal(Weight);

    /// <summary>
    /// The embedding as an output head (weight tying, as GPT-2's lm_head shares wte's weight): [.., dim] -> [.., vocab],
    /// y = x E^T. One parameter: its gradient gathers the lookup's rows and this product's. Eager FP64.
    /// </summary>
    public Tensor Attend(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckFeatures(x, Dim, nameof(Embedding) + "." + nameof(Attend));
        int rows = x.Rows;
        var y = new double[rows * Vocab];
        for (int r = 0; r < rows; r++)
        {
            for (int v = 0; v < Vocab; v++)
            {
                double sum = 0;
                for (int c = 0; c < Dim; c++)
                {
                    sum += x.Values[(r * Dim) + c] * (double)Weight[(v * Dim) + c];
                }

                y[(r * Vocab) + v] = sum;
            }
        }

        return new Tensor(y, [.. x.Dims[..^1], Vocab]);
    }

    public Tensor Apply(Tokens ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var y = new double[ids.Ids.Length * Dim];
        for (int t = 0; t < ids.Ids.Length; t++)
        {
            int id = ids.Ids[t];
            if ((uint)id >= (uint)Vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id at position {t} is outside the vocabulary [0, {Vocab}).");
            }

            for (int c = 0; c < Dim; c++)
            {
                y[(t * Dim) + c] = Weight[(id * Dim) + c];
            }
        }

        return new Tensor(y, [.. ids.Shape, Dim]);
    }
}
