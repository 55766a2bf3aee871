using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Amp.Analyzers.CodeFixes;

/// <summary>AMP0001: drop the <c>precision:</c> override so the op follows the policy (FP32).</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(RemovePrecisionOverrideFix)), Shared]
public sealed class RemovePrecisionOverrideFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("AMP0001");

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        InvocationExpressionSyntax? call = root?.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
        ArgumentSyntax? precision = call?.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "precision");
        if (root is null || call is null || precision is null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Remove the FP16 override (the op runs in FP32)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call.ArgumentList, call.ArgumentList.WithArguments(call.ArgumentList.Arguments.Remove(precision))))),
                equivalenceKey: "AMP0001.RemoveOverride"),
            context.Diagnostics);
    }
}
