using System.Reflection;
using Amp.Data;

namespace Amp.Generator.Tests.Gradients;

/// <summary>Runs alone: it starts ILGPU's CPU accelerator (one OS thread per kernel thread).</summary>
[CollectionDefinition(nameof(OpGradientTests), DisableParallelization = true)]
public sealed class OpGradientCollection : ICollectionFixture<CaseDevices>
{
}

/// <summary>One Cpu and one IlgpuCpu device for every case (ILGPU's context and kernel loads cost more than the cases).</summary>
public sealed class CaseDevices : IDisposable
{
    private readonly Dictionary<DeviceKind, AmpDevice> devices = [];

    public AmpDevice Get(DeviceKind kind)
    {
        lock (devices)
        {
            if (!devices.TryGetValue(kind, out AmpDevice? device))
            {
                devices[kind] = device = AmpDevice.Create(kind);
            }

            return device;
        }
    }

    public void Dispose()
    {
        foreach (AmpDevice device in devices.Values)
        {
            device.Dispose();
        }
    }
}

/// <summary>
/// Every op of the table, in every form, inside [Forward] and inside [Loss], at batch 1 and 5, on Cpu and
/// IlgpuCpu: the generated FP32 gradient of every weight entry against central finite differences of the FP64
/// eager reference (the model's own definition, run directly in training mode: BatchNorm on the batch's statistics). h = 1e-3 max(1, |w|), so the FD truncation error
/// is O(h^2) ~ 1e-6 relative; FP32 rounding of the generated passes is ~1e-6 relative. Bound:
/// |g - fd| &lt;= tol |fd| + tol/10 max|g of the tensor| + 1e-6, tol = 2e-3 (0.1 for the BF16 cast row, see OpCases).
/// </summary>
[Collection(nameof(OpGradientTests))]
public sealed class OpGradientTests(CaseDevices devices)
{
    private const int MaxEntriesPerTensor = 40;

    public static TheoryData<string, DeviceKind, int> Cases()
    {
        var data = new TheoryData<string, DeviceKind, int>();
        foreach (CaseModel model in CaseAssembly.Models)
        {
            foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.IlgpuCpu })
            {
                data.Add(model.ClassName, kind, 1);
                data.Add(model.ClassName, kind, 5);
            }
        }

        return data;
    }

    [Fact]
    public void Every_row_of_the_op_table_has_gradient_cases()
    {
        // The op table drives this: a row added there without gradient cases here fails.
        OpKind[] tableKinds = Amp.Generator.Model.OpTable.Rows
            .Where(r => r.Policy != Amp.Generator.Model.OpPolicy.Input)
            .Select(r => Enum.Parse<OpKind>(r.Kind.ToString()))
            .ToArray();
        OpKind[] missing = tableKinds.Concat(Enum.GetValues<OpKind>()).Distinct().Where(k => !OpCases.All.Any(r => r.Kind == k)).ToArray();
        Assert.True(missing.Length == 0, $"No gradient row for {string.Join(", ", missing)}: add rows to OpCases.");
    }

    [Fact]
    public void Every_op_kind_is_differentiated_in_forward_and_in_loss()
    {
        // Losses take a loss-only target; an Embedding reads Tokens, which only [Forward] receives (Arange's ids feed one).
        OpKind[] forwardExempt = [OpKind.CrossEntropy, OpKind.MseLoss, OpKind.BinaryCrossEntropyWithLogits];
        OpKind[] lossExempt = [OpKind.Embedding, OpKind.Arange];
        var missing = new List<string>();
        foreach (OpKind kind in Enum.GetValues<OpKind>())
        {
            IEnumerable<CaseModel> models = CaseAssembly.Models.Where(m => m.Row.Kind == kind);
            if (!forwardExempt.Contains(kind) && !models.Any(m => m.Placement == Placement.Forward))
            {
                missing.Add($"{kind} in [Forward]");
            }

            if (!lossExempt.Contains(kind) && !models.Any(m => m.Placement == Placement.Loss))
            {
                missing.Add($"{kind} in [Loss]");
            }
        }

        Assert.True(missing.Count == 0, "Not covered: " + string.Join(", ", missing));
    }

    [Fact]
    public void Reductions_cover_the_batch_axis_and_binary_ops_broadcast_on_both_sides()
    {
        foreach (OpKind kind in new[] { OpKind.Sum, OpKind.Mean, OpKind.Softmax, OpKind.LogSoftmax })
        {
            Assert.Contains(OpCases.All, r => r.Kind == kind && r.Form.StartsWith("batch_axis", StringComparison.Ordinal));
        }

        foreach (OpKind kind in new[] { OpKind.Add, OpKind.Sub, OpKind.Mul })
        {
            Assert.Contains(OpCases.All, r => r.Kind == kind && r.Form == "scalar_left");
            Assert.Contains(OpCases.All, r => r.Kind == kind && r.Form == "scalar_right");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences_of_the_fp64_reference(string model, DeviceKind kind, int batchSize)
    {
        CaseModel c = CaseAssembly.Models.Single(m => m.ClassName == model);
        Type type = CaseAssembly.TypeOf(c);
        Init.ManualSeed(CaseModel.StableSeed(model));
        object definition = Activator.CreateInstance(type)!;
        var parameters = new Dictionary<string, LayerParameter>(StringComparer.Ordinal);
        type.GetMethod("CollectAmpParameters", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(definition, [string.Empty, parameters]);
        Dictionary<string, (Array Values, int[] Shape)> inputs = c.Inputs(batchSize);
        Batch batch = CaseModel.ToBatch(inputs);
        double Reference() => EagerLoss(type, definition, inputs);

        using var compiled = (ICompiledModel)type.GetMethod("Compile", [typeof(AmpDevice), typeof(TrainingOptions)])!.Invoke(definition, [devices.Get(kind), null])!;
        Assert.Contains(compiled.Plan.Ops, op => op.Kind == c.Row.Kind);

        float loss = compiled.ComputeGradients(batch);
        double expected = Reference(), lossBound = (c.Row.Tolerance / 20) * (1 + Math.Abs(expected));
        Assert.True(Math.Abs(loss - expected) <= lossBound, $"loss {loss:G9}, FP64 reference {expected:G9}");
        Assert.Equal(loss, compiled.EvaluateTrainMode(batch));

        var failures = new List<string>();
        foreach (IParameter p in compiled.Parameters)
        {
            float[] gradient = p.ReadGradient();
            float[] weights = parameters[p.Name].Values;
            double largest = gradient.Max(Math.Abs);
            foreach (int i in Entries(weights.Length, CaseModel.StableSeed(p.Name)))
            {
                float original = weights[i];
                double h = 1e-3 * Math.Max(1, Math.Abs(original));
                float plus = (float)(original + h), minus = (float)(original - h);
                weights[i] = plus;
                double lossPlus = Reference();
                weights[i] = minus;
                double lossMinus = Reference();
                weights[i] = original;
                double fd = (lossPlus - lossMinus) / ((double)plus - minus);
                double bound = (c.Row.Tolerance * Math.Abs(fd)) + (c.Row.Tolerance / 10 * largest) + 1e-6;
                if (!(Math.Abs(gradient[i] - fd) <= bound))
                {
                    failures.Add($"{p.Name}[{i}]: generated {gradient[i]:G6}, finite difference {fd:G6}, bound {bound:G3}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{model} (batch {batchSize}, {kind}):\n{string.Join("\n", failures)}");
    }

    /// <summary>Every entry of a small tensor; a fixed sample of a large one.</summary>
    private static IEnumerable<int> Entries(int length, int seed)
    {
        if (length <= MaxEntriesPerTensor)
        {
            return Enumerable.Range(0, length);
        }

        var random = new Random(seed);
        return Enumerable.Range(0, MaxEntriesPerTensor).Select(_ => random.Next(length)).Distinct();
    }

    /// <summary>The definition run directly in training mode (as ComputeGradients): [Forward] then [Loss], eager FP64, on the same values as the batch.</summary>
    private static double EagerLoss(Type type, object definition, Dictionary<string, (Array Values, int[] Shape)> inputs)
    {
        using IDisposable training = EagerMode.Train();
        MethodInfo forward = type.GetMethod("Run")!, loss = type.GetMethod("Loss")!;
        object output = forward.Invoke(definition, forward.GetParameters().Select(p => Eager(p, inputs)).ToArray())!;
        object?[] lossArguments = [output, .. loss.GetParameters().Skip(1).Select(p => Eager(p, inputs))];
        return ((Tensor)loss.Invoke(definition, lossArguments)!)[0];
    }

    private static object Eager(ParameterInfo parameter, Dictionary<string, (Array Values, int[] Shape)> inputs)
    {
        (Array values, int[] shape) = inputs[parameter.Name!];
        return parameter.ParameterType == typeof(Tensor) ? Tensor.FromFloats((float[])values, shape)
            : parameter.ParameterType == typeof(Tokens) ? new Tokens((int[])values, shape)
            : new Labels((int[])values);
    }
}
