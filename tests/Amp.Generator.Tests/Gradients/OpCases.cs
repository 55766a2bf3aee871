using static Amp.Generator.Tests.Gradients.Operand;

namespace Amp.Generator.Tests.Gradients;

/// <summary>
/// The gradient table: every op of <see cref="OpKind"/> in every form it accepts. Reductions run over the last
/// dimension, so every axis is reached by nesting (the third Sum of [Batch, 3, 4] reduces the batch) or by a
/// Transpose first; broadcasting pairs a tensor with a scalar (a full reduction, which includes the batch) on
/// either side. OpGradientTests fails for an op with no row.
/// </summary>
public static class OpCases
{
    private static readonly Placement[] ForwardOnly = [Placement.Forward];
    private static readonly Placement[] LossOnly = [Placement.Loss];

    public static IReadOnlyList<OpCase> All { get; } = Build();

    private static List<OpCase> Build()
    {
        var rows = new List<OpCase>();
        foreach (string unary in new[] { "Relu", "Gelu", "Silu", "Tanh", "Sigmoid", "Exp", "Softplus" })
        {
            OpKind kind = Enum.Parse<OpKind>(unary);
            rows.Add(new(kind, "rank3", $"{unary}({{0}})", [Of(3, 4)], [3, 4]));
            rows.Add(new(kind, "batch_vector", $"{unary}(Sum({{0}}))", [Of(4)], []));
        }

        rows.Add(new(OpKind.Log, "of_softmax", "Log(Softmax({0}))", [Of(3, 4)], [3, 4]));

        // Sqrt and Div read positive values (Exp and Softplus first): their derivatives are finite there.
        rows.Add(new(OpKind.Sqrt, "rank3", "Sqrt(Exp({0}))", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Sqrt, "batch_vector", "Sqrt(Softplus(Sum({0})))", [Of(4)], []));
        rows.Add(new(OpKind.Div, "same_shape", "Div({0}, Exp({1}))", [Of(3, 4), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Div, "operator", "{0} / Softplus({1})", [Of(3, 4), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Div, "scalar_right", "Div({0}, Exp(Mean(Mean(Mean({1})))))", [Of(3, 4), Of(2, 5)], [3, 4]));
        rows.Add(new(OpKind.Div, "scalar_left", "Div(Sum(Sum({0})), Exp({1}))", [Of(5), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Div, "one_operand_twice", "{0} / Exp({0})", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.AddScalar, "call", "AddScalar({0}, 0.25f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.AddScalar, "plus_constant", "Tanh({0} + 1.5f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.AddScalar, "constant_minus", "Sigmoid(1f - {0})", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Scale, "divided_by_constant", "{0} / 4f", [Of(3, 4)], [3, 4]));
        // Clamp's derivative jumps at its bounds, where a central difference straddling one is meaningless: the bounds
        // are chosen to clip some of the seeded values and to lie farther than the step from all of them.
        rows.Add(new(OpKind.Clamp, "both_bounds", "Clamp({0}, -0.45f, 0.35f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Clamp, "min_only", "Clamp(Tanh({0}), min: 0.15f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Clamp, "max_only", "Clamp(Sum({0}), max: 0.25f)", [Of(4)], []));
        rows.Add(new(OpKind.Log, "fused_after_sigmoid", "Log(Sigmoid({0}))", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Scale, "call", "Scale({0}, -0.75f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Scale, "times_constant", "{0} * 2f", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Scale, "constant_times", "0.5f * {0}", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Scale, "of_scalar", "Scale(Mean(Mean(Mean({0}))), 3f)", [Of(3, 4)], null));

        foreach ((OpKind kind, string symbol) in new[] { (OpKind.Add, "+"), (OpKind.Sub, "-"), (OpKind.Mul, "*") })
        {
            rows.Add(new(kind, "same_shape", $"{kind}({{0}}, {{1}})", [Of(3, 4), Of(3, 4)], [3, 4]));
            rows.Add(new(kind, "operator", $"{{0}} {symbol} {{1}}", [Of(3, 4), Of(3, 4)], [3, 4]));
            rows.Add(new(kind, "scalar_right", $"{kind}({{0}}, Mean(Mean(Mean({{1}}))))", [Of(3, 4), Of(2, 5)], [3, 4]));
            rows.Add(new(kind, "scalar_left", $"{kind}(Sum(Sum({{0}})), {{1}})", [Of(5), Of(3, 4)], [3, 4]));
            rows.Add(new(kind, "batch_vectors", $"{kind}(Sum({{0}}), Mean({{1}}))", [Of(4), Of(3)], []));
            rows.Add(new(kind, "scalars", $"{kind}(Mean(Mean({{0}})), Sum(Sum({{1}})))", [Of(4), Of(3)], null));
            rows.Add(new(kind, "one_operand_twice", $"{kind}({{0}}, Tanh({{0}}))", [Of(3, 4)], [3, 4]));
        }

        foreach (OpKind kind in new[] { OpKind.Sum, OpKind.Mean })
        {
            rows.Add(new(kind, "last_axis", $"{kind}({{0}})", [Of(3, 4)], [3]));
            rows.Add(new(kind, "middle_axis", $"{kind}(Transpose({{0}}))", [Of(3, 4)], [4]));
            rows.Add(new(kind, "middle_axis_nested", $"{kind}({kind}({{0}}))", [Of(3, 4)], []));
            rows.Add(new(kind, "batch_axis", $"{kind}({kind}({kind}({{0}})))", [Of(3, 4)], null));
            rows.Add(new(kind, "batch_axis_of_vector", $"{kind}({kind}({{0}}))", [Of(5)], null));
            rows.Add(new(kind, "of_scalar", $"{kind}({kind}({kind}(Sum({{0}}))))", [Of(3, 4)], null));
            rows.Add(new(kind, "batch_axis_after_other", $"{kind}({(kind == OpKind.Sum ? "Mean" : "Sum")}({{0}}))", [Of(5)], null));
        }

        foreach (OpKind kind in new[] { OpKind.Softmax, OpKind.LogSoftmax })
        {
            rows.Add(new(kind, "last_axis", $"{kind}({{0}})", [Of(3, 4)], [3, 4]));
            rows.Add(new(kind, "batch_axis", $"{kind}(Sum({{0}}))", [Of(4)], []));
            rows.Add(new(kind, "of_scalar", $"Mul({kind}(Sum(Sum({{0}}))), Mean(Mean({{0}})))", [Of(4)], null));
        }

        rows.Add(new(OpKind.Linear, "bias", "lin.Apply({0})", [Of(3, 4)], [3, 2], Fields: "readonly Linear lin = new(4, 2);"));
        rows.Add(new(OpKind.Linear, "no_bias", "lin.Apply({0})", [Of(4)], [2], Fields: "readonly Linear lin = new(4, 2, bias: false);"));
        rows.Add(new(OpKind.LayerNorm, "last_axis", "ln.Apply({0})", [Of(3, 4)], [3, 4], Fields: "readonly LayerNorm ln = new(4);"));
        rows.Add(new(OpKind.RmsNorm, "last_axis", "rms.Apply({0})", [Of(3, 4)], [3, 4], Fields: "readonly RmsNorm rms = new(4, eps: 1e-6f);"));
        rows.Add(new(OpKind.Embedding, "repeated_ids", "emb.Apply({0})", [new(OperandKind.Tokens, [3], 7)], [3, 4], ForwardOnly, "readonly Embedding emb = new(7, 4);"));
        rows.Add(new(OpKind.Arange, "positions_plus_tokens", "emb.Apply({0}) + pos.Apply(Arange(3))", [new(OperandKind.Tokens, [3], 7)], [3, 4], ForwardOnly,
            "readonly Embedding emb = new(7, 4); readonly Embedding pos = new(5, 4);"));
        rows.Add(new(OpKind.Arange, "positions_times_features", "{0} * pos.Apply(Arange(3))", [Of(3, 4)], [3, 4], ForwardOnly, "readonly Embedding pos = new(3, 4);"));
        // Weight tying: Attend reads the embedding's weight as an output head, so its gradient is the gather's plus the product's.
        rows.Add(new(OpKind.Linear, "tied_embedding_attend", "emb.Attend(emb.Apply({0}) + {1})", [new(OperandKind.Tokens, [3], 7), Of(3, 4)], [3, 7], ForwardOnly,
            "readonly Embedding emb = new(7, 4);"));
        // In BF16 the head reads a BF16 working copy of the N(0, 1) embedding: the loss, a cancelling sum, lands 0.9 % from
        // FP64 (measured); a lost or doubled gradient of the shared weight is off by 100 % or more.
        rows.Add(new(OpKind.Linear, "tied_attend_bf16", "emb.Attend(Tanh(emb.Apply({0})))", [new(OperandKind.Tokens, [3], 7)], [3, 7], ForwardOnly,
            "readonly Embedding emb = new(7, 4);", Precision.Bf16, Tolerance: 0.2));
        rows.Add(new(OpKind.Embedding, "plus_features", "emb.Apply({0}) + {1}", [new(OperandKind.Tokens, [3], 7), Of(3, 4)], [3, 4], ForwardOnly, "readonly Embedding emb = new(7, 4);"));

        rows.Add(new(OpKind.MatMul, "batched", "MatMul({0}, {1})", [Of(3, 4), Of(4, 2)], [3, 2]));
        rows.Add(new(OpKind.MatMul, "rank4", "MatMul({0}, {1})", [Of(2, 3, 4), Of(2, 4, 2)], [2, 3, 2]));
        rows.Add(new(OpKind.MatMul, "transposed_right", "MatMul({0}, Transpose({1}))", [Of(3, 4), Of(2, 4)], [3, 2]));
        rows.Add(new(OpKind.Transpose, "rank3", "Transpose({0})", [Of(3, 4)], [4, 3]));
        rows.Add(new(OpKind.Transpose, "rank4", "Transpose({0})", [Of(2, 3, 4)], [2, 4, 3]));
        rows.Add(new(OpKind.Transpose, "dims_neighbours", "Transpose({0}, 1, 2)", [Of(2, 3, 4)], [3, 2, 4]));
        rows.Add(new(OpKind.Transpose, "dims_apart", "Transpose({0}, 1, 3)", [Of(2, 3, 4)], [4, 3, 2]));
        rows.Add(new(OpKind.Transpose, "dims_negative", "Transpose({0}, -1, -3)", [Of(2, 3, 4)], [4, 3, 2]));
        rows.Add(new(OpKind.Transpose, "dims_apart_then_sum", "Sum(Transpose({0}, 1, 3))", [Of(2, 1, 3, 4)], [3, 1, 2]));
        rows.Add(new(OpKind.Reshape, "flatten", "Reshape({0}, Batch, 12)", [Of(3, 4)], [12]));
        rows.Add(new(OpKind.Reshape, "regroup", "Reshape({0}, Batch, 2, 6)", [Of(3, 4)], [2, 6]));
        // NumPy broadcasting of size-1 dimensions: the planner expands the operand (an Expand op) and sums it back.
        rows.Add(new(OpKind.Add, "size1_middle", "Add({0}, {1})", [Of(3, 4), Of(1, 4)], [3, 4]));
        rows.Add(new(OpKind.Mul, "size1_on_both_sides", "Mul({0}, {1})", [Of(3, 1), Of(1, 4)], [3, 4]));
        rows.Add(new(OpKind.Sub, "size1_of_rank4", "{0} - {1}", [Of(2, 3, 4), Of(1, 3, 4)], [2, 3, 4]));
        rows.Add(new(OpKind.Div, "size1_two_runs", "Div({0}, Exp({1}))", [Of(2, 3, 4), Of(1, 3, 1)], [2, 3, 4]));
        rows.Add(new(OpKind.Expand, "shared_by_two_ops", "Mul({0}, {1}) + Tanh({0} * {1})", [Of(3, 4), Of(3, 1)], [3, 4]));

        // Where and MaskedFill read a condition (nonzero is true) that gets no gradient; Relu of the seeded values is
        // zero for about half of them and far from zero for the rest.
        rows.Add(new(OpKind.Where, "same_shape", "Where(Relu({0}), {1}, {2})", [Of(3, 4), Of(3, 4), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Where, "broadcast_condition_and_scalar", "Where(Relu({0}), Tanh({1}), Mean(Mean(Mean({2}))))", [Of(1, 4), Of(3, 4), Of(2, 2)], [3, 4]));
        rows.Add(new(OpKind.MaskedFill, "constant", "MaskedFill({0}, Relu({1}), -2.5f)", [Of(3, 4), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.MaskedFill, "broadcast_mask_into_softmax", "Softmax(MaskedFill({0}, Relu({1}), -30f))", [Of(2, 3, 4), Of(1, 1, 4)], [2, 3, 4]));
        rows.Add(new(OpKind.Cat, "last_dim", "Cat([{0}, {1}], -1)", [Of(3, 4), Of(3, 2)], [3, 6]));
        rows.Add(new(OpKind.Cat, "middle_dim", "Cat([{0}, {1}], 1)", [Of(3, 4), Of(2, 4)], [5, 4]));
        rows.Add(new(OpKind.Cat, "one_input_twice", "Cat(new[] {{ {0}, Tanh({1}), {0} }}, -2)", [Of(2, 4), Of(3, 4)], [7, 4]));
        rows.Add(new(OpKind.Cat, "outer_dim_of_rank4", "Cat([{0}, {1}], 1)", [Of(1, 2, 3), Of(2, 2, 3)], [3, 2, 3]));
        rows.Add(new(OpKind.Cat, "promoted_bf16_and_fp32", "Cat([lin.Apply({0}), Softmax({1})], -1)", [Of(3, 4), Of(3, 2)], [3, 4],
            Fields: "readonly Linear lin = new(4, 2);", Precision: Precision.Bf16, Tolerance: 0.1));
        rows.Add(new(OpKind.Slice, "last_dim", "Slice({0}, -1, 1, 3)", [Of(3, 4)], [3, 2]));
        rows.Add(new(OpKind.Slice, "middle_dim_to_end", "Slice({0}, 1, 1)", [Of(3, 4)], [2, 4]));
        rows.Add(new(OpKind.Slice, "negative_bounds", "Slice({0}, 2, -3, -1)", [Of(2, 3, 4)], [2, 2, 4]));
        rows.Add(new(OpKind.Slice, "split_pieces", "Mul(Split({0}, 2, -1)[0], Split({0}, 2, -1)[1])", [Of(3, 4)], [3, 2]));
        rows.Add(new(OpKind.Slice, "split_uneven_last", "Split({0}, 3, 1)[1]", [Of(4, 2)], [1, 2]));
        rows.Add(new(OpKind.SplitHeads, "two_heads", "SplitHeads({0}, 2)", [Of(3, 4)], [2, 3, 2]));
        rows.Add(new(OpKind.MergeHeads, "two_heads", "MergeHeads({0})", [Of(2, 3, 2)], [3, 4]));
        rows.Add(new(OpKind.CausalMask, "then_softmax", "Softmax(CausalMask({0}))", [Of(3, 3)], [3, 3]));

        // Pooling on [Batch, C, H, W]: windows that tile, overlap (stride < kernel) and skip (H not a multiple of the stride).
        rows.Add(new(OpKind.MaxPool2d, "tiling", "MaxPool2d({0}, 2)", [Of(2, 4, 4)], [2, 2, 2]));
        rows.Add(new(OpKind.MaxPool2d, "overlapping", "MaxPool2d({0}, 3, stride: 1)", [Of(2, 4, 5)], [2, 2, 3]));
        rows.Add(new(OpKind.AvgPool2d, "tiling", "AvgPool2d({0}, 2)", [Of(2, 4, 4)], [2, 2, 2]));
        rows.Add(new(OpKind.AvgPool2d, "strided_remainder", "AvgPool2d({0}, 2, stride: 3)", [Of(1, 5, 6)], [1, 2, 2]));
        rows.Add(new(OpKind.AdaptiveAvgPool2d, "global", "AdaptiveAvgPool2d({0}, 1)", [Of(3, 2, 4)], [3, 1, 1]));
        rows.Add(new(OpKind.AdaptiveAvgPool2d, "two_by_two", "AdaptiveAvgPool2d({0}, 2)", [Of(2, 4, 6)], [2, 2, 2]));
        rows.Add(new(OpKind.Conv2d, "same_padding", "conv.Apply({0})", [Of(2, 5, 5)], [3, 5, 5], Fields: "readonly Conv2d conv = new(2, 3, 3, padding: 1);"));
        rows.Add(new(OpKind.Conv2d, "strided_no_bias", "conv.Apply({0})", [Of(2, 6, 5)], [3, 2, 2], Fields: "readonly Conv2d conv = new(2, 3, 3, stride: 2, bias: false);"));
        rows.Add(new(OpKind.Conv2d, "dilated", "conv.Apply({0})", [Of(1, 6, 6)], [2, 4, 4], Fields: "readonly Conv2d conv = new(1, 2, 2, stride: 1, padding: 0, dilation: 2);"));
        rows.Add(new(OpKind.Conv2d, "pointwise_then_pool", "AvgPool2d(conv.Apply({0}), 2)", [Of(3, 4, 4)], [2, 2, 2], Fields: "readonly Conv2d conv = new(3, 2, 1);"));
        rows.Add(new(OpKind.Conv2d, "grouped", "conv.Apply({0})", [Of(4, 4, 4)], [6, 4, 4], Fields: "readonly Conv2d conv = new(4, 6, 3, padding: 1, groups: 2);"));
        rows.Add(new(OpKind.Conv2d, "depthwise_strided_no_bias", "conv.Apply({0})", [Of(3, 5, 5)], [3, 2, 2], Fields: "readonly Conv2d conv = new(3, 3, 3, stride: 2, groups: 3, bias: false);"));
        rows.Add(new(OpKind.Flatten, "image", "Flatten({0})", [Of(2, 3, 2)], [12]));

        // BatchNorm2d in training mode (the gradient test runs the eager reference in EagerMode.Train): statistics over
        // the batch and the pixels, so at batch 5 every sample's gradient reaches every other's.
        rows.Add(new(OpKind.BatchNorm2d, "batch_statistics", "bn.Apply({0})", [Of(2, 3, 3)], [2, 3, 3], Fields: "readonly BatchNorm2d bn = new(2);"));
        rows.Add(new(OpKind.BatchNorm2d, "eps_momentum_then_conv", "conv.Apply(bn.Apply({0}))", [Of(3, 2, 2)], [2, 2, 2],
            Fields: "readonly BatchNorm2d bn = new(3, eps: 1e-3f, momentum: 0.5f); readonly Conv2d conv = new(3, 2, 1);"));

        // The eager reference draws no masks (Dropout the identity); p = 0 makes training mode the same function. Masks
        // with p > 0 are checked against finite differences of the compiled EvaluateTrainMode (DropoutTests).
        rows.Add(new(OpKind.Dropout, "p_zero", "Dropout({0}, 0f)", [Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Dropout, "layer_p_zero", "drop.Apply({0})", [Of(3, 4)], [3, 4], Fields: "readonly Dropout drop = new(0f);"));
        rows.Add(new(OpKind.Flatten, "pooled_then_linear", "lin.Apply(Flatten(MaxPool2d({0}, 2)))", [Of(2, 4, 4)], [3], Fields: "readonly Linear lin = new(8, 3);"));
        rows.Add(new(OpKind.Attention, "causal", "Attention({0}, {1}, {2}, heads: 2, causal: true)", [Of(3, 4), Of(3, 4), Of(3, 4)], [3, 4]));
        rows.Add(new(OpKind.Attention, "full", "Attention({0}, {1}, {2}, heads: 2, causal: false)", [Of(3, 4), Of(3, 4), Of(3, 4)], [3, 4]));

        // A key-padding mask whose first key is never padded (a zero column first), so no query loses every key; Relu
        // pads about half of the others.
        const string Padding = "Cat([Slice(Scale({3}, 0f), -1, 0, 1), Relu({3})], -1)";
        rows.Add(new(OpKind.Attention, "key_padding", $"Attention({{0}}, {{1}}, {{2}}, heads: 2, causal: false, keyPaddingMask: {Padding})", [Of(3, 4), Of(3, 4), Of(3, 4), Of(2)], [3, 4]));
        rows.Add(new(OpKind.Attention, "key_padding_causal", $"Attention({{0}}, {{1}}, {{2}}, heads: 2, causal: true, keyPaddingMask: {Padding})", [Of(3, 4), Of(3, 4), Of(3, 4), Of(2)], [3, 4]));

        rows.Add(new(OpKind.CrossEntropy, "rows", "CrossEntropy({0}, {1})", [Of(5), new(OperandKind.Labels, [], 5)], null, LossOnly));
        rows.Add(new(OpKind.CrossEntropy, "sequence", "CrossEntropy({0}, {1})", [Of(3, 5), new(OperandKind.Labels, [3], 5)], null, LossOnly));
        rows.Add(new(OpKind.CrossEntropy, "label_smoothing", "CrossEntropy({0}, {1}, labelSmoothing: 0.1f)", [Of(3, 5), new(OperandKind.Labels, [3], 5)], null, LossOnly));
        rows.Add(new(OpKind.CrossEntropy, "ignore_index", "CrossEntropy({0}, {1}, ignoreIndex: 2)", [Of(4, 5), new(OperandKind.Labels, [4], 5)], null, LossOnly));
        rows.Add(new(OpKind.CrossEntropy, "smoothing_and_ignore", "CrossEntropy({0}, {1}, labelSmoothing: 0.25f, ignoreIndex: 0)", [Of(4, 5), new(OperandKind.Labels, [4], 5)], null, LossOnly));
        rows.Add(new(OpKind.MseLoss, "rank3", "MseLoss({0}, {1})", [Of(3, 4), Of(3, 4)], null, LossOnly));
        // Targets through Sigmoid lie in (0, 1), as binary targets or soft labels do; Scale by 20 reaches the saturated
        // logits where the probability form (AMP0010) loses its gradient.
        rows.Add(new(OpKind.BinaryCrossEntropyWithLogits, "rank3", "BinaryCrossEntropyWithLogits({0}, Sigmoid({1}))", [Of(3, 4), Of(3, 4)], null, LossOnly));
        rows.Add(new(OpKind.BinaryCrossEntropyWithLogits, "large_logits", "BinaryCrossEntropyWithLogits(Scale({0}, 20f), Sigmoid({1}))", [Of(3, 4), Of(3, 4)], null, LossOnly));
        rows.Add(new(OpKind.BinaryCrossEntropyWithLogits, "batch_vector", "BinaryCrossEntropyWithLogits(Sum({0}), Sigmoid(Mean({1})))", [Of(4), Of(3)], null, LossOnly));
        rows.Add(new(OpKind.MseLoss, "batch_vector", "MseLoss(Sum({0}), Mean({1}))", [Of(4), Of(3)], null, LossOnly));

        // A cast exists only between precisions: a BF16 product read by an FP32-list op. BF16 rounding of the
        // product's operands (2^-8 relative each) bounds the agreement, not the finite differences: the loss is a
        // cancelling sum, and the largest gap measured is 2.2 % of the loss and 6.6 % of the largest gradient. A
        // lost, doubled or sign-flipped gradient through the cast is off by 100 % or more.
        rows.Add(new(OpKind.Cast, "bf16_into_fp32_op", "Softmax(lin.Apply({0}))", [Of(3, 4)], [3, 2],
            Fields: "readonly Linear lin = new(4, 2);", Precision: Precision.Bf16, Tolerance: 0.1));
        return rows;
    }
}
