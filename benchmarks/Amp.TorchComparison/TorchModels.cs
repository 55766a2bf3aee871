using Amp;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AmpTorch;

/// <summary>
/// What <c>torch.autocast</c> does, written out: TorchSharp has no autocast API, so each op casts as autocast's CPU policy
/// would (ops on the lower-precision list cast their inputs to the low type; ops on the FP32 list cast them to FP32;
/// elementwise ops run in their input's type; mixed adds promote). Autograd then behaves as under autocast: an activation's
/// gradient has the activation's dtype and a cast's backward casts the gradient back, so the weight gradients are the
/// low-precision products of the working copies, rounded, then widened to FP32 (PyTorch's own numerics).
/// </summary>
internal sealed class Autocast(ScalarType? low)
{
    public static Autocast Fp32 { get; } = new(null);

    private Tensor Low(Tensor t) => low is { } type && t.dtype != type ? t.to_type(type) : t;

    private static Tensor Fp32Of(Tensor t) => t.dtype != ScalarType.Float32 ? t.to_type(ScalarType.Float32) : t;

    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => F.linear(Low(x), Low(weight), bias is null ? null : Low(bias));

    public Tensor MatMul(Tensor a, Tensor b) => Low(a).matmul(Low(b));

    public Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias) =>
        F.layer_norm(Fp32Of(x), [x.shape[^1]], weight, bias, 1e-5);

    public Tensor Softmax(Tensor x) => Fp32Of(x).softmax(-1);

    public Tensor CrossEntropy(Tensor logits, Tensor labels) => F.cross_entropy(Fp32Of(logits), labels);

    public Tensor MseLoss(Tensor y, Tensor target) => F.mse_loss(Fp32Of(y), Fp32Of(target));

    public static Tensor Gelu(Tensor x) => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}

/// <summary>The graphs of ComparisonModels.cs in TorchSharp, reading their weights by the PyTorch names Amp uses.</summary>
internal static class TorchModels
{
    public static Tensor ResidualMlpLoss(Autocast ac, IReadOnlyDictionary<string, Tensor> p, Tensor x, Tensor y)
    {
        Tensor h = Autocast.Gelu(ac.Linear(x, p["stem.weight"], p["stem.bias"]));
        foreach (string b in new[] { "b1", "b2" })
        {
            Tensor n = ac.LayerNorm(h, p[$"{b}.ln.weight"], p[$"{b}.ln.bias"]);
            Tensor f = ac.Linear(Autocast.Gelu(ac.Linear(n, p[$"{b}.fc1.weight"], p[$"{b}.fc1.bias"])), p[$"{b}.fc2.weight"], p[$"{b}.fc2.bias"]);
            h = h + f;
        }

        Tensor logits = ac.Linear(ac.LayerNorm(h, p["ln.weight"], p["ln.bias"]), p["head.weight"], p["head.bias"]);
        return ac.CrossEntropy(logits, y);
    }

    public static Tensor MlpLoss(Autocast ac, IReadOnlyDictionary<string, Tensor> p, Tensor x, Tensor y, int layers, bool gelu)
    {
        Tensor h = x;
        for (int i = 1; i <= layers; i++)
        {
            h = ac.Linear(h, p[$"fc{i}.weight"], p[$"fc{i}.bias"]);
            if (i < layers)
            {
                h = gelu ? Autocast.Gelu(h) : F.relu(h);
            }
        }

        return ac.CrossEntropy(h, y);
    }

    /// <summary>samples/Models/GptBlock.cs's WideBlock under the prefix, then the MSE loss; attention as nanoGPT writes it.</summary>
    public static Tensor GptBlockLoss(Autocast ac, IReadOnlyDictionary<string, Tensor> p, Tensor x, Tensor target, Tensor causalMask, string prefix = "block")
    {
        Tensor y = GptBlock(ac, p, x, causalMask, prefix);
        return ac.MseLoss(y, target);
    }

    public static Tensor GptBlock(Autocast ac, IReadOnlyDictionary<string, Tensor> p, Tensor x, Tensor causalMask, string prefix, int heads = 4)
    {
        long batch = x.shape[0], t = x.shape[1], d = x.shape[2], hd = d / heads;
        Tensor Lin(Tensor v, string name) => ac.Linear(v, p[$"{prefix}.{name}.weight"], p[$"{prefix}.{name}.bias"]);
        Tensor Split(Tensor v) => v.view(batch, t, heads, hd).transpose(1, 2);

        Tensor n1 = ac.LayerNorm(x, p[$"{prefix}.ln1.weight"], p[$"{prefix}.ln1.bias"]);
        Tensor q = Split(Lin(n1, "attn.q")), k = Split(Lin(n1, "attn.k")), v = Split(Lin(n1, "attn.v"));
        Tensor scores = ac.MatMul(q, k.transpose(-2, -1)) * (1.0 / Math.Sqrt(hd));
        Tensor probs = ac.Softmax(scores.masked_fill(causalMask, double.NegativeInfinity));
        Tensor context = ac.MatMul(probs, v).transpose(1, 2).contiguous().view(batch, t, d);
        Tensor h = x + Lin(context, "attn.proj");
        Tensor n2 = ac.LayerNorm(h, p[$"{prefix}.ln2.weight"], p[$"{prefix}.ln2.bias"]);
        return h + Lin(Autocast.Gelu(Lin(n2, "up")), "down");
    }

    /// <summary>samples/Models/ComparisonModels.cs's CharGpt4: token and position embeddings, 4 blocks of 8 heads, LayerNorm, the head, CrossEntropy.</summary>
    public static Tensor CharGptLoss(Autocast ac, IReadOnlyDictionary<string, Tensor> p, Tensor idx, Tensor pos, Tensor next, Tensor causalMask, int batch)
    {
        const int T = global::Models.CharGpt4.Context, D = global::Models.CharGpt4.Width;
        Tensor x = p["tokens.weight"].index_select(0, idx).view(batch, T, D) + p["positions.weight"].index_select(0, pos).view(batch, T, D);
        for (int i = 0; i < global::Models.CharGpt4.Depth; i++)
        {
            x = GptBlock(ac, p, x, causalMask, $"blocks.{i}", global::Models.CharGpt4.Heads);
        }

        Tensor logits = ac.Linear(ac.LayerNorm(x, p["lnf.weight"], p["lnf.bias"]), p["head.weight"], null);
        return ac.CrossEntropy(logits.view(batch * T, global::Models.CharGpt4.Vocabulary), next);
    }

    /// <summary>
    /// samples/Models/DigitNet.cs in FP32 (the speed comparison's libtorch side runs FP32 only): conv stem, BatchNorm in
    /// training mode (batch statistics, running statistics updated), max pooling, one residual block, a strided conv,
    /// global average pooling, Dropout(0.2) and the head.
    /// </summary>
    public static Tensor DigitNetLoss(IReadOnlyDictionary<string, Tensor> p, IReadOnlyDictionary<string, Tensor> running, Tensor image, Tensor label)
    {
        Tensor Conv(Tensor x, string name, long stride = 1) => F.conv2d(x, p[$"{name}.weight"], null, strides: [stride, stride], padding: [1, 1]);
        Tensor Bn(Tensor x, string name) =>
            F.batch_norm(x, running[$"{name}.mean"], running[$"{name}.var"], p[$"{name}.weight"], p[$"{name}.bias"], training: true, momentum: 0.1, eps: 1e-5);

        Tensor x = F.max_pool2d(F.relu(Bn(Conv(image, "stem"), "bn0")), [2, 2]);
        Tensor h = F.relu(Bn(Conv(x, "block.conv1"), "block.bn1"));
        x = F.relu(x + Bn(Conv(h, "block.conv2"), "block.bn2"));
        x = F.relu(Bn(Conv(x, "down", stride: 2), "bn3"));
        Tensor pooled = F.adaptive_avg_pool2d(x, [1, 1]).flatten(1);
        Tensor logits = F.linear(F.dropout(pooled, 0.2, training: true), p["head.weight"], p["head.bias"]);
        return F.cross_entropy(logits, label);
    }

    /// <summary>BatchNorm running statistics (mean 0, variance 1) for DigitNet's four BatchNorms, by "name.mean" / "name.var".</summary>
    public static Dictionary<string, Tensor> DigitNetRunningStatistics()
    {
        var stats = new Dictionary<string, Tensor>();
        foreach ((string name, int channels) in new[] { ("bn0", 16), ("block.bn1", 16), ("block.bn2", 16), ("bn3", 32) })
        {
            stats[$"{name}.mean"] = zeros(channels);
            stats[$"{name}.var"] = ones(channels);
        }

        return stats;
    }

    /// <summary>True above the diagonal: the positions a causal row may not see.</summary>
    public static Tensor CausalMask(int t) => ones(t, t, ScalarType.Bool).triu(1);

    /// <summary>Leaf tensors holding Amp's FP32 masters, by name, requiring gradients.</summary>
    public static Dictionary<string, Tensor> Parameters(ICompiledModel model) =>
        model.Parameters.ToDictionary(
            q => q.Name,
            q => (Tensor)new TorchSharp.Modules.Parameter(tensor(q.ReadMaster(), [.. q.Shape.Select(s => (long)s)])));
}
