namespace Amp;

/// <summary>
/// PyTorch's nn.Conv2d on [Batch, C, H, W]: weight [out, in / groups, k, k] and bias [out], initialised as PyTorch
/// does (uniform in +-1/sqrt(in / groups k k)); square kernel, stride, zero padding, dilation and groups (output
/// channel o reads only the input channels of its group: groups = in is a depthwise convolution).
/// </summary>
public sealed class Conv2d : Layer
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        InChannels = Positive(inChannels, nameof(inChannels));
        OutChannels = Positive(outChannels, nameof(outChannels));
        KernelSize = Positive(kernelSize, nameof(kernelSize));
        Stride = Positive(stride, nameof(stride));
        Dilation = Positive(dilation, nameof(dilation));
        Padding = padding >= 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding), padding, "Padding must be 0 or more.");
        Groups = Positive(groups, nameof(groups));
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"Groups must divide both inChannels ({inChannels}) and outChannels ({outChannels}).");
        }

        Weight = Weights(outChannels, inChannels / groups * kernelSize * kernelSize, $"Conv2d({inChannels}, {outChannels}, {kernelSize})");
        Bias = bias ? new float[outChannels] : null;
        ResetParameters();
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    public int KernelSize { get; }

    public int Stride { get; }

    public int Padding { get; }

    public int Dilation { get; }

    /// <summary>Input and output channels split into this many groups (1: every output reads every input channel).</summary>
    public int Groups { get; }

    /// <summary>Input channels per group: the weight's second dimension.</summary>
    private int GroupInputs => InChannels / Groups;

    public float[] Weight { get; }

    public float[]? Bias { get; }

    public override IReadOnlyList<LayerParameter> Parameters => Bias is null
        ? [new("weight", [OutChannels, GroupInputs, KernelSize, KernelSize], Weight)]
        : [new("weight", [OutChannels, GroupInputs, KernelSize, KernelSize], Weight), new("bias", [OutChannels], Bias)];

    public override void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(GroupInputs * KernelSize * KernelSize);
        Init.Uniform(Weight, bound);
        if (Bias is not null)
        {
            Init.Uniform(Bias, bound);
        }
    }

    /// <summary>The output size of one spatial axis: (size + 2 padding - dilation (k - 1) - 1) / stride + 1.</summary>
    public static int OutputSize(int size, int kernelSize, int stride, int padding, int dilation) =>
        ((size + (2 * padding) - (dilation * (kernelSize - 1)) - 1) / stride) + 1;

    /// <summary>Eager FP64: [Batch, in, H, W] -> [Batch, out, OH, OW].</summary>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Dims.Length != 4 || x.Dims[1] != InChannels)
        {
            throw new ArgumentException($"Conv2d({InChannels}, {OutChannels}, {KernelSize}) needs [Batch, {InChannels}, H, W]; got {EagerShape.Format(x.Shape)}.", nameof(x));
        }

        int n = x.Dims[0], h = x.Dims[2], w = x.Dims[3], k = KernelSize;
        int oh = OutputSize(h, k, Stride, Padding, Dilation), ow = OutputSize(w, k, Stride, Padding, Dilation);
        var y = new double[n * OutChannels * oh * ow];
        for (int b = 0; b < n; b++)
        {
            for (int o = 0; o < OutChannels; o++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        double sum = Bias is null ? 0 : Bias[o];
                        int first = o / (OutChannels / Groups) * GroupInputs;
                        for (int g = 0; g < GroupInputs; g++)
                        {
                            int c = first + g;
                            for (int u = 0; u < k; u++)
                            {
                                int row = (i * Stride) - Padding + (u * Dilation);
                                for (int v = 0; v < k; v++)
                                {
                                    int col = (j * Stride) - Padding + (v * Dilation);
                                    if (row >= 0 && row < h && col >= 0 && col < w)
                                    {
                                        sum += x.Values[(((((b * InChannels) + c) * h) + row) * w) + col] * (double)Weight[(((((o * GroupInputs) + g) * k) + u) * k) + v];
                                    }
                                }
                            }
                        }

                        y[(((((b * OutChannels) + o) * oh) + i) * ow) + j] = sum;
                    }
                }
            }
        }

        return new Tensor(y, n, OutChannels, oh, ow);
    }
}
