using Microsoft.CodeAnalysis;

namespace Amp.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports: errors that block generation (advice is the analyzers' job).
/// IDs are stable; each has a page docs/diagnostics/ID.md behind its help link.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Amp.Generator";
    /// <summary>
    /// Where the docs/diagnostics/ID.md pages are; the analyzers link there too. Built with <c>-p:AmpRepositoryUrl=..</c>
    /// (the published repository), that repository's pages; otherwise the relative path docs/diagnostics/, which exists
    /// both in the repository and inside the Amp package (its pages are packed): never a site that does not exist.
    /// </summary>
    internal static readonly string HelpRoot = RepositoryUrl() is { Length: > 0 } url
        ? url.TrimEnd('/') + "/blob/main/docs/diagnostics/"
        : "docs/diagnostics/";

    /// <summary>The repository URL the build was given (an AssemblyMetadata attribute from Directory.Build.props), or null.</summary>
    private static string? RepositoryUrl() =>
        typeof(DiagnosticDescriptors).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "AmpRepositoryUrl")?.Value;

    public static readonly DiagnosticDescriptor ModelNotPartial = Error(
        "AMP1001", "Model class must be partial", "'{0}' must be declared partial so that Amp can add its plan and compiled code");

    public static readonly DiagnosticDescriptor UnsupportedSyntax = Error(
        "AMP1002", "Unsupported syntax in a model definition", "{0} is not supported in a model definition{1}");

    public static readonly DiagnosticDescriptor NonConstantLayerArgument = Error(
        "AMP1003", "Argument must be a constant", "Argument '{0}' of '{1}' must be a compile-time constant");

    public static readonly DiagnosticDescriptor UnknownOp = Error(
        "AMP1004", "Unknown op", "'{0}' is not an Amp op, a layer, a module or a method of this model");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "AMP1005", "Shape mismatch", "{0}: expected {1}, got {2}");

    public static readonly DiagnosticDescriptor Recursion = Error(
        "AMP1006", "Recursive model method", "'{0}' calls itself ({1}); model methods are inlined at compile time and cannot recurse");

    public static readonly DiagnosticDescriptor NoForward = Error(
        "AMP1007", "No [Forward] method", "'{0}' has no [Forward] method; mark the method that computes the model's output with [Forward]");

    public static readonly DiagnosticDescriptor InvalidInput = Error(
        "AMP1008", "Invalid model input", "Input '{0}': {1}");

    public static readonly DiagnosticDescriptor ArgumentOutOfRange = Error(
        "AMP1009", "Argument out of range", "Argument '{0}' of '{1}' is {2}; {3}");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "AMP1999", "Amp generator internal error", "The Amp generator failed on '{0}': {1}");

    public static readonly IReadOnlyDictionary<string, DiagnosticDescriptor> ById = new[]
    {
        ModelNotPartial, UnsupportedSyntax, NonConstantLayerArgument, UnknownOp, ShapeMismatch, Recursion, NoForward, InvalidInput, ArgumentOutOfRange, InternalError,
    }.ToDictionary(d => d.Id);

    public static Diagnostic ToDiagnostic(this Model.DiagnosticInfo info) =>
        Diagnostic.Create(ById[info.Id], info.Location?.ToLocation(), info.Arguments.ToArray<object>());

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");
}
