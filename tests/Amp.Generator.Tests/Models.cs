namespace Amp.Generator.Tests;

/// <summary>Model sources the generator tests compile.</summary>
internal static class Models
{
    public static string Mlp(string precision, string name = "Classifier") => $$"""
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.{{precision}})]
        public partial class {{name}}
        {
            readonly Linear fc1 = new(64, 256);
            readonly Linear fc2 = new(256, 10);

            [Forward]
            Tensor Logits([Shape(Batch, 64)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

            [Loss]
            Tensor Loss(Tensor logits, [Classes(10)] Labels y) => CrossEntropy(logits, y);
        }
        """;

    public const string EveryOp = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16)]
        public partial class EveryOp
        {
            readonly Embedding emb = new(50, 16);
            readonly LayerNorm ln = new(16);
            readonly RmsNorm rms = new(16, eps: 1e-6f);
            readonly Linear lin = new(16, 16, bias: false);

            [Forward]
            Tensor Run([Shape(Batch, 4)] Tokens ids, [Shape(Batch, 4, 16)] Tensor x)
            {
                var h = emb.Apply(ids) + x;
                h = rms.Apply(ln.Apply(h));
                var a = Attention(lin.Apply(h), h, h, heads: 2, causal: true);
                var heads = MergeHeads(SplitHeads(a, 2));
                var scores = Softmax(CausalMask(MatMul(heads, Transpose(h))));
                var mixed = MatMul(scores, h);
                var e = Relu(mixed) + Silu(mixed) - Tanh(mixed) * Sigmoid(mixed);
                var s = Scale(e, 0.5f) * 2f;
                var logs = LogSoftmax(s) + Log(Exp(Mul(s, s)));
                var flat = Reshape(logs, Batch, 64);
                return Sum(flat) + Mean(flat);
            }

            [Loss]
            Tensor Loss(Tensor output, [Shape(Batch)] Tensor target) => MseLoss(output, target);
        }
        """;

    /// <summary>
    /// The ops of Op catalog v2 in one model: Arange positions, Split, Transpose of two named dims, a [Batch, 1, T, T] mask
    /// broadcast through MaskedFill, Where, Cat, Slice, a key-padding mask, Div and Sqrt and Clamp, a head tied to the
    /// embedding (Attend), two outputs (a tuple), and BinaryCrossEntropyWithLogits beside CrossEntropy.
    /// </summary>
    public const string CatalogV2 = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16)]
        public partial class CatalogV2
        {
            readonly Embedding tok = new(32, 8);
            readonly Embedding pos = new(4, 8);
            readonly Linear qkv = new(8, 24);
            readonly Linear score = new(16, 1);

            [Forward]
            (Tensor Logits, Tensor Score) Run([Shape(Batch, 4)] Tokens ids, [Shape(Batch, 1, 4, 4)] Tensor mask, [Shape(Batch, 4)] Tensor padding)
            {
                var x = tok.Apply(ids) + pos.Apply(Arange(4));
                Tensor[] parts = Split(qkv.Apply(x), 8, -1);
                var q = SplitHeads(parts[0], 2);
                var k = SplitHeads(parts[1], 2);
                var scores = MaskedFill(MatMul(q, Transpose(k, -2, -1)), mask, float.NegativeInfinity);
                var mixed = MergeHeads(MatMul(Softmax(scores), SplitHeads(parts[2], 2)));
                var gated = Where(Reshape(padding, Batch, 4, 1), Clamp(mixed, -3f, 3f), mixed / Sqrt(Exp(mixed) + 1f));
                var both = Cat([gated, Attention(x, x, x, heads: 2, causal: true, keyPaddingMask: padding)], -1);
                return (tok.Attend(Slice(both, -1, 0, 8)), score.Apply(both));
            }

            [Loss]
            Tensor Loss(Tensor logits, Tensor score, [Classes(32)] Labels next, [Shape(Batch, 4, 1)] Tensor keep) =>
                CrossEntropy(logits, next) + BinaryCrossEntropyWithLogits(score, keep);
        }
        """;

    /// <summary>A small CNN: Conv2d, ReLU, max pooling, a strided Conv2d, global average pooling, Flatten, a Linear head.</summary>
    public const string Cnn = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16)]
        public partial class Cnn
        {
            readonly Conv2d conv1 = new(1, 4, 3, padding: 1);
            readonly BatchNorm2d bn1 = new(4);
            readonly Conv2d conv2 = new(4, 8, 3, stride: 2, bias: false);
            readonly Linear head = new(8, 10);

            [Forward]
            Tensor Logits([Shape(Batch, 1, 12, 12)] Tensor image)
            {
                var x = MaxPool2d(Relu(bn1.Apply(conv1.Apply(image))), 2);
                return head.Apply(Flatten(AdaptiveAvgPool2d(Relu(conv2.Apply(x)), 1)));
            }

            [Loss]
            Tensor Loss(Tensor logits, [Classes(10)] Labels label) => CrossEntropy(logits, label);
        }
        """;

    public const string Gpt = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Module]
        public partial class Attn
        {
            readonly Linear q = new(32, 32);
            readonly Linear k = new(32, 32);
            readonly Linear v = new(32, 32);
            readonly Linear proj = new(32, 32);

            [Forward]
            public Tensor Apply(Tensor x) => proj.Apply(Attention(q.Apply(x), k.Apply(x), v.Apply(x), heads: 4, causal: true));
        }

        [Module]
        public partial class Block
        {
            readonly LayerNorm ln1 = new(32);
            readonly Attn attn = new();
            readonly LayerNorm ln2 = new(32);
            readonly Linear up = new(32, 128);
            readonly Linear down = new(128, 32);

            [Forward]
            public Tensor Apply(Tensor x)
            {
                x = x + attn.Apply(ln1.Apply(x));
                x += Mlp(ln2.Apply(x));
                return x;
            }

            Tensor Mlp(Tensor h) => down.Apply(Gelu(up.Apply(h)));
        }

        [Autocast(Precision.Bf16)]
        public partial class Gpt
        {
            readonly Embedding wte = new(65, 32);
            readonly Block[] blocks = Repeat<Block>(BlockCount);
            readonly LayerNorm lnf = new(32);
            readonly Linear head = new(32, 65, bias: false);

            const int BlockCount = 2;

            [Forward]
            Tensor Logits([Shape(Batch, 16)] Tokens idx)
            {
                var x = wte.Apply(idx);
                foreach (var block in blocks)
                {
                    x = block.Apply(x);
                }

                return head.Apply(lnf.Apply(x));
            }

            [Loss]
            Tensor Loss(Tensor logits, [Classes(65)] Labels targets) => CrossEntropy(logits, targets);
        }
        """;

    /// <summary>One definition planned in three precisions; a method-level [Autocast] keeps its own precision in every variant.</summary>
    public const string Variants = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16, Also = new[] { Precision.Fp32, Precision.Fp16 })]
        public partial class Multi
        {
            readonly Linear fc1 = new(16, 32);
            readonly Linear fc2 = new(32, 4);

            [Forward]
            public Tensor Logits([Shape(Batch, 16)] Tensor x) => Head(Gelu(fc1.Apply(x)));

            [Autocast(Precision.Fp32)]
            Tensor Head(Tensor h) => fc2.Apply(h);

            [Loss]
            public Tensor Loss(Tensor logits, [Classes(4)] Labels y) => CrossEntropy(logits, y);
        }
        """;

    public const string KeepFp32 = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Fp16)]
        public partial class Kept
        {
            readonly Linear fc1 = new(8, 8);
            [KeepFp32] readonly Linear fc2 = new(8, 8);
            readonly Linear fc3 = new(8, 4);

            [Forward]
            Tensor Run([Shape(Batch, 8)] Tensor x) => fc3.Apply(Head(fc2.Apply(Relu(fc1.Apply(x)))));

            [KeepFp32]
            Tensor Head(Tensor h) => Gelu(h) + h;
        }
        """;

    /// <summary>TF32 on a BF16 plan with an FP32 variant: the [KeepFp32] head's products (and all of the variant's) in TF32.</summary>
    public const string Tf32 = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16, Also = new[] { Precision.Fp32 }, Tf32 = true)]
        public partial class Tf32Mlp
        {
            readonly Linear fc1 = new(8, 16);
            [KeepFp32] readonly Linear fc2 = new(16, 4);

            [Forward]
            Tensor Run([Shape(Batch, 8)] Tensor x) => fc2.Apply(Relu(fc1.Apply(x)));

            [Loss]
            Tensor Loss(Tensor y, [Classes(4)] Labels label) => CrossEntropy(y, label);
        }
        """;

    public const string Overrides = """
        using Amp;
        using static Amp.Ops;

        namespace Demo;

        [Autocast(Precision.Bf16)]
        public partial class Overrides
        {
            readonly Linear fc = new(8, 8);

            [Forward]
            Tensor Run([Shape(Batch, 4, 8)] Tensor x)
            {
                var h = MatMul(fc.Apply(x), Transpose(fc.Apply(x)), precision: Precision.Fp32);
                var p = Softmax(h, precision: Precision.Fp16);
                return Mid(Gelu(p, precision: Precision.Bf16));
            }

            [Autocast(Precision.Fp16)]
            Tensor Mid(Tensor t) => MatMul(t, t);
        }
        """;
}
