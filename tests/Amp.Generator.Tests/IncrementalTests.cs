using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Amp.Generator.Tests;

/// <summary>Caching: named steps, unrelated and trivia edits regenerate nothing, an attribute change does; no Roslyn objects in the specs.</summary>
public sealed class IncrementalTests
{
    private static readonly string[] ModelSteps = [AmpGenerator.Steps.Parse, AmpGenerator.Steps.Shapes, AmpGenerator.Steps.Variants, AmpGenerator.Steps.Precision, AmpGenerator.Steps.Fusion, AmpGenerator.Steps.Autodiff, AmpGenerator.Steps.Program, AmpGenerator.Steps.Emit];

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        GeneratorRunResult second = RunTwice(Models.Gpt, c => c.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other; class Unrelated { int x; }", new CSharpParseOptions(LanguageVersion.Latest))));
        foreach (string step in ModelSteps.Append(AmpGenerator.Steps.Modules))
        {
            Assert.All(second.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
    }

    [Fact]
    public void A_trivia_edit_leaves_the_output_unchanged()
    {
        // A comment that moves no line: the locations' offsets change (Parse re-runs), the generated text does not.
        GeneratorRunResult second = RunTwice(Models.Mlp("Bf16"), c => Replace(c, Models.Mlp("Bf16").Replace("new(256, 10);", "new(256, 10);   // the output layer")));
        Assert.All(second.TrackedSteps[AmpGenerator.Steps.Emit].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
    }

    [Fact]
    public void An_edit_that_only_shifts_lines_reruns_parse_and_emit_and_nothing_between()
    {
        // Two blank lines above the model: every location moves, no spec does. The passes stay cached (the locations
        // live in the source map, joined at Emit), and the output changes only in its line numbers.
        string source = Models.Gpt;
        GeneratorRunResult second = RunTwice(source, c => Replace(c, "\n\n" + source));
        Assert.Contains(second.TrackedSteps[AmpGenerator.Steps.Parse].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        foreach (string step in new[] { AmpGenerator.Steps.Shapes, AmpGenerator.Steps.Variants, AmpGenerator.Steps.Precision, AmpGenerator.Steps.Fusion, AmpGenerator.Steps.Autodiff, AmpGenerator.Steps.Program })
        {
            Assert.All(second.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.Contains(second.TrackedSteps[AmpGenerator.Steps.Emit].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        string before = Generated(source), after = Generated("\n\n" + source);
        Assert.Equal(Shift(before), after);

        // Every "File.cs:N", "Op@N", plan line and remarks-table line moves by two; nothing else differs.
        static string Shift(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"(\.cs:|@|"", |///\s+)(\d+)(,\s+""\[|  )?",
            m => (m.Groups[1].Value == "\", " || m.Groups[1].Value.StartsWith("///")) && !m.Groups[3].Success
                ? m.Value
                : m.Groups[1].Value + (int.Parse(m.Groups[2].Value) + 2) + m.Groups[3].Value);
    }

    [Fact]
    public void An_attribute_change_modifies_the_output()
    {
        GeneratorRunResult second = RunTwice(Models.Mlp("Bf16"), c => Replace(c, Models.Mlp("Fp16")));
        Assert.Contains(second.TrackedSteps[AmpGenerator.Steps.Emit].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void Pipeline_values_hold_no_roslyn_objects()
    {
        Type[] forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Microsoft.CodeAnalysis.Compilation), typeof(Location), typeof(SemanticModel)];
        var seen = new HashSet<Type>();
        Walk(typeof(Model.PlanSpec));
        Walk(typeof(Model.ProgramSpec));
        Walk(typeof(Model.StepResult<Model.ModelSpec>));
        Walk(typeof(Model.ModuleSpec));
        Assert.Contains(typeof(Model.NodeSpec), seen);

        void Walk(Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum)
            {
                return;
            }

            Assert.False(forbidden.Any(f => f.IsAssignableFrom(type)), $"{type} is a Roslyn object in the pipeline");
            foreach (Type argument in type.GetGenericArguments())
            {
                Walk(argument);
            }

            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                Walk(field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType);
            }
        }
    }

    [Fact]
    public void Every_step_has_its_tracking_name()
    {
        GeneratorRunResult run = GeneratorHarness.Driver().RunGenerators(GeneratorHarness.Compile(Models.Gpt)).GetRunResult().Results.Single();
        Assert.All(ModelSteps.Append(AmpGenerator.Steps.Modules), step => Assert.True(run.TrackedSteps.ContainsKey(step), step));
    }

    private static GeneratorRunResult RunTwice(string source, Func<CSharpCompilation, CSharpCompilation> edit)
    {
        CSharpCompilation first = GeneratorHarness.Compile(source);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        return driver.RunGenerators(edit(first)).GetRunResult().Results.Single();
    }

    private static string Generated(string source) =>
        GeneratorHarness.Driver().RunGenerators(GeneratorHarness.Compile(source)).GetRunResult().Results.Single()
            .GeneratedSources.Single(g => g.HintName == "Demo.Gpt.Amp.g.cs").SourceText.ToString();

    private static CSharpCompilation Replace(CSharpCompilation compilation, string source)
    {
        SyntaxTree old = compilation.SyntaxTrees.First();
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, (CSharpParseOptions)old.Options, old.FilePath));
    }
}
