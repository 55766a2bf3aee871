using System.Reflection;
using System.Runtime.Intrinsics;
using Amp.Generator.Emit;
using Amp.Generator.Steps;
using Amp.Generator.Model;
using GeneratorOpKind = Amp.Generator.Model.OpKind;

namespace Amp.Generator.Tests;

/// <summary>
/// The op table is complete and says only what is true: one row per kind, an emitter per row, the math a row names
/// exists in the runtime, the Ops methods and layers it names exist, and the docs' policy tables are its own.
/// </summary>
public sealed class OpTableTests
{
    [Fact]
    public void Every_op_kind_has_exactly_one_row_and_an_emitter()
    {
        GeneratorOpKind[] kinds = Enum.GetValues<GeneratorOpKind>();
        Assert.Equal(kinds.Length, OpTable.Rows.Count);
        foreach (GeneratorOpKind kind in kinds)
        {
            Assert.Single(OpTable.Rows, r => r.Kind == kind);
            Assert.True(StepWriter.EmitterOf(kind) is not null, $"{kind} has no emitter in StepWriter.Emitters");
        }
    }

    [Fact]
    public void The_public_op_kinds_mirror_the_table()
    {
        // Amp.OpKind (what Plan reports) is the table's kinds without the graph's inputs (Arange, made on the device, is reported).
        Assert.Equal(
            OpTable.Rows.Where(r => r.Kind != GeneratorOpKind.Input).Select(r => r.Kind.ToString()),
            Enum.GetNames<Amp.OpKind>());
    }

    [Fact]
    public void Only_views_have_no_backward_pass()
    {
        // A Cast has one: its gradient is a view of its input's only where both have one precision (else dx += dy, converted).
        GeneratorOpKind[] views = Enum.GetValues<GeneratorOpKind>().Where(k => StepWriter.EmitterOf(k)!.Backward is null).ToArray();
        // Arange reads nothing, so nothing needs its gradient.
        Assert.Equal([GeneratorOpKind.Input, GeneratorOpKind.Reshape, GeneratorOpKind.Flatten, GeneratorOpKind.Arange], views);
    }

    [Fact]
    public void Elementwise_rows_name_math_the_runtime_has_in_scalar_and_vector_form()
    {
        Type[] hosts = [typeof(Amp.Compilation.ChainMath), typeof(Amp.Compilation.ChainGradMath)];
        foreach (OpRow row in OpTable.Rows.Where(r => r.IsElementwise))
        {
            Assert.Equal(row.Arity, row.Math!.Derivatives.Length);
            foreach (string code in row.Math.Derivatives.Append(row.Math.Formula))
            {
                foreach (System.Text.RegularExpressions.Match call in System.Text.RegularExpressions.Regex.Matches(code, @"(ChainMath|ChainGradMath)\.(\w+)\("))
                {
                    Type host = hosts.Single(h => h.Name == call.Groups[1].Value);
                    string name = call.Groups[2].Value;
                    // One to three operands (Where reads three), then the op's constants ({c}, {c2}: floats in both forms).
                    int constants = code.Contains("{c2}", StringComparison.Ordinal) ? 2 : code.Contains("{c})", StringComparison.Ordinal) ? 1 : 0;
                    Type[] Signature(Type operand, int operands) => [.. Enumerable.Repeat(operand, operands), .. Enumerable.Repeat(typeof(float), constants)];
                    int[] arities = [.. Enumerable.Range(1, 3).Where(n => host.GetMethod(name, Signature(typeof(float), n)) is not null)];
                    Assert.True(arities.Length > 0, $"{row.Kind}: {host.Name}.{name}(float) is missing");
                    Assert.True(arities.All(n => host.GetMethod(name, Signature(typeof(Vector256<float>), n)) is not null), $"{row.Kind}: {host.Name}.{name}(Vector256<float>) is missing");
                }
            }
        }
    }

    [Fact]
    public void Every_tensor_op_of_Amp_Ops_has_a_row_and_every_row_name_is_an_Ops_method()
    {
        string[] opsMethods = typeof(Amp.Ops).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(Amp.Tensor) || m.ReturnType == typeof(Amp.Tokens)).Select(m => m.Name).Distinct().ToArray();
        string[] rowNames = OpTable.Rows.Where(r => r.OpsName is not null).Select(r => r.OpsName!).ToArray();
        Assert.Empty(opsMethods.Except(rowNames));
        Assert.Empty(rowNames.Except(opsMethods));
    }

    [Fact]
    public void Layer_rows_name_runtime_layers_and_their_constructor_parameters()
    {
        foreach (OpRow row in OpTable.Rows.Where(r => r.Layer is not null))
        {
            Type? type = typeof(Amp.Tensor).Assembly.GetType(row.Layer!.TypeName);
            Assert.True(type is not null, $"{row.Kind}: no runtime type {row.Layer.TypeName}");
            string[] parameters = type!.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.Name!).ToArray();
            foreach (string? name in new[] { row.Layer.InWidth, row.Layer.OutWidth, row.Layer.BiasArgument }.Where(n => n is not null))
            {
                Assert.Contains(name!, parameters);
            }
        }
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/precision-policy.md")]
    public void The_docs_policy_table_is_the_tables_own(string file)
    {
        string root = Path.GetFullPath(Path.Combine(ProjectDirectory(), "..", ".."));
        string text = File.ReadAllText(Path.Combine(root, file)).Replace("\r\n", "\n");
        string expected = OpTable.PolicyMarkdown();
        Assert.True(text.Contains(expected, StringComparison.Ordinal), $"{file} must contain the policy table generated from OpTable:\n{expected}");
    }

    private static string ProjectDirectory() => typeof(OpTableTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "AmpSnapshotProjectDirectory").Value!;
}
