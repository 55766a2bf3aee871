using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Analyzers.CodeFixes;

/// <summary>AMP0005: replace the disabled scaler by <c>new LossScaler()</c>, GradScaler's dynamic defaults.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EnableLossScalingFix)), Shared]
public sealed class EnableLossScalingFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("AMP0005");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not ExpressionSyntax scaler)
        {
            return;
        }

        ExpressionSyntax dynamic = SyntaxFactory.ParseExpression("new LossScaler()").WithTriviaFrom(scaler);
        context.RegisterCodeFix(
            CodeAction.Create("Use dynamic loss scaling (new LossScaler())", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(scaler, dynamic))), equivalenceKey: "AMP0005.Enable"),
            context.Diagnostics);
    }
}
