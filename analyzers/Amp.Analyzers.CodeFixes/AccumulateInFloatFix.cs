using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Analyzers.CodeFixes;

/// <summary>
/// AMP0003 for a local accumulator: the local becomes a <c>float</c>; what is added to it is converted to float;
/// every other read converts the float back to the original 16-bit type, so the code around it is unchanged.
/// Fields, parameters and array elements get no fix (their type is part of a wider contract).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AccumulateInFloatFix)), Shared]
public sealed class AccumulateInFloatFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("AMP0003");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<AssignmentExpressionSyntax>() is not { } assignment
            || model?.GetSymbolInfo(assignment.Left, context.CancellationToken).Symbol is not ILocalSymbol local
            || local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } declarator
            || declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                $"Accumulate '{local.Name}' in float",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(member, Rewrite(member, local, declaration, model, context.CancellationToken)))),
                equivalenceKey: "AMP0003.AccumulateInFloat"),
            context.Diagnostics);
    }

    private static SyntaxNode Rewrite(MemberDeclarationSyntax member, ILocalSymbol local, VariableDeclarationSyntax declaration, SemanticModel model, CancellationToken cancellationToken)
    {
        TypeSyntax half = SyntaxFactory.ParseTypeName(local.Type.ToMinimalDisplayString(model, declaration.SpanStart));
        TypeSyntax single = SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.FloatKeyword));
        ExpressionSyntax ToFloat(ExpressionSyntax e) => SyntaxFactory.CastExpression(single, SyntaxFactory.ParenthesizedExpression(e.WithoutTrivia())).WithTriviaFrom(e);

        bool IsLocal(ExpressionSyntax e) => e is IdentifierNameSyntax && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(e, cancellationToken).Symbol, local);

        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        VariableDeclaratorSyntax declarator = declaration.Variables[0];
        EqualsValueClauseSyntax? init = declarator.Initializer;
        ExpressionSyntax? newInit = init?.Value switch
        {
            null => null,
            LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } or DefaultExpressionSyntax => SyntaxFactory.ParseExpression("0f"),
            var value => ToFloat(value),
        };
        replacements[declaration] = declaration
            .WithType(single.WithTriviaFrom(declaration.Type))
            .WithVariables(SyntaxFactory.SingletonSeparatedList(newInit is null ? declarator : declarator.WithInitializer(init!.WithValue(newInit))));

        foreach (AssignmentExpressionSyntax assignment in member.DescendantNodes().OfType<AssignmentExpressionSyntax>().Where(a => IsLocal(a.Left)))
        {
            ExpressionSyntax right = assignment.Right;
            if (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && right is BinaryExpressionSyntax sum
                && (sum.IsKind(SyntaxKind.AddExpression) || sum.IsKind(SyntaxKind.SubtractExpression)) && IsLocal(sum.Left))
            {
                replacements[right] = sum.WithRight(ToFloat(sum.Right));
            }
            else
            {
                replacements[right] = ToFloat(right);
            }
        }

        // Every other read of the local: back to the 16-bit type, so callers and returns see what they saw before.
        foreach (IdentifierNameSyntax read in member.DescendantNodes().OfType<IdentifierNameSyntax>().Where(IsLocal))
        {
            bool assigned = read.Parent is AssignmentExpressionSyntax a && a.Left == read;
            bool inRewrittenSum = read.Parent is BinaryExpressionSyntax b && replacements.ContainsKey(b) && b.Left == read;
            if (!assigned && !inRewrittenSum && !replacements.Keys.Any(k => k.Span.Contains(read.Span)))
            {
                replacements[read] = SyntaxFactory.ParenthesizedExpression(SyntaxFactory.CastExpression(half, read.WithoutTrivia())).WithTriviaFrom(read);
            }
        }

        return member.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]);
    }
}
