namespace Amp.Generator.Model;

// The policy table of README.md and docs/precision-policy.md, written from the rows (OpTableTests checks that both
// files hold exactly this text, so the docs cannot drift from what the precision pass does).
internal static partial class OpTable
{
    private static readonly (OpPolicy[] Policies, string Category, string Compute, string Stored)[] PolicyLines =
    [
        ([OpPolicy.LowPrecision], "low precision", "autocast type in, FP32 accumulate", "autocast type"),
        ([OpPolicy.Fp32, OpPolicy.Loss], "FP32", "FP32 (inputs upcast)", "FP32"),
        ([OpPolicy.Promote], "promote", "widest input", "widest input"),
        ([OpPolicy.Elementwise], "elementwise", "FP32 registers", "input's type"),
        ([OpPolicy.Layout], "layout", "moves values (no arithmetic)", "input's type"),
        ([OpPolicy.Fp32Weights], "FP32 weights", "FP32 (reads the FP32 master weight)", "FP32"),
        ([OpPolicy.Normalization], "batch norm", "FP32 statistics and normalisation", "input's type"),
    ];

    /// <summary>The policy as a Markdown table, one line per category, ops in the table's order.</summary>
    public static string PolicyMarkdown()
    {
        var lines = new List<string> { "| category | ops | compute | output stored as |", "|---|---|---|---|" };
        foreach ((OpPolicy[] policies, string category, string compute, string stored) in PolicyLines)
        {
            IEnumerable<string> ops = All.Where(r => policies.Contains(r.Policy)).Select(r => r.DocName ?? $"`{r.Kind}`");
            lines.Add($"| {category} | {string.Join(", ", ops)} | {compute} | {stored} |");
        }

        return string.Join("\n", lines);
    }
}
