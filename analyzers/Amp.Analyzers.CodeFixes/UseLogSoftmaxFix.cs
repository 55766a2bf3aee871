using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Analyzers.CodeFixes;

/// <summary>AMP0002: <c>Log(Softmax(x))</c> becomes <c>LogSoftmax(x)</c>, keeping the qualification and the inner arguments.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseLogSoftmaxFix)), Shared]
public sealed class UseLogSoftmaxFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("AMP0002");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } log
            || log.ArgumentList.Arguments.FirstOrDefault()?.Expression is not InvocationExpressionSyntax softmax)
        {
            return;
        }

        ExpressionSyntax name = log.Expression switch
        {
            MemberAccessExpressionSyntax member => member.WithName(SyntaxFactory.IdentifierName("LogSoftmax")),
            _ => SyntaxFactory.IdentifierName("LogSoftmax"),
        };
        InvocationExpressionSyntax replacement = SyntaxFactory.InvocationExpression(name.WithTriviaFrom(log.Expression), softmax.ArgumentList).WithTriviaFrom(log);
        context.RegisterCodeFix(
            CodeAction.Create("Use LogSoftmax", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(log, replacement))), equivalenceKey: "AMP0002.UseLogSoftmax"),
            context.Diagnostics);
    }
}
