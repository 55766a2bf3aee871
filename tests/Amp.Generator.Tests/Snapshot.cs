using System.Reflection;
using System.Runtime.CompilerServices;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Amp.Generator.Tests;

/// <summary>
/// Snapshot checks with Verify's conventions, so moving to Verify.Xunit is a swap: the approved text is
/// Snapshots/NAME.verified.cs beside the test; a mismatch writes NAME.received.cs and fails with a line diff.
/// Set AMP_ACCEPT_SNAPSHOTS=1 to accept received output locally; CI (the CI variable) ignores the switch.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string name, [CallerFilePath] string testFile = "")
    {
        string directory = Path.Combine(TestDirectory(testFile), "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");
        actual = actual.Replace("\r\n", "\n");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        bool accept = Environment.GetEnvironmentVariable("AMP_ACCEPT_SNAPSHOTS") == "1" && Environment.GetEnvironmentVariable("CI") is null;
        if (accept)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified}; the output is in {received}. Review it and rename it to .verified.cs (or run with AMP_ACCEPT_SNAPSHOTS=1)."
            : $"Snapshot {name} differs (received: {received}):\n{Diff(expected, actual)}");
    }

    /// <summary>
    /// The folder of the calling test file. Deterministic CI builds map source paths to <c>/_/</c>, so the caller
    /// path is re-rooted at the project directory recorded in the assembly at build time.
    /// </summary>
    private static string TestDirectory(string testFile)
    {
        string projectDirectory = typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "AmpSnapshotProjectDirectory").Value!;
        string projectName = Path.GetFileName(projectDirectory);
        string normalized = testFile.Replace('\\', '/');
        int inProject = normalized.IndexOf("/" + projectName + "/", StringComparison.Ordinal);
        string relative = inProject < 0 ? "" : Path.GetDirectoryName(normalized[(inProject + projectName.Length + 2)..]) ?? "";
        return Path.Combine(projectDirectory, relative);
    }

    private static string Diff(string expected, string actual)
    {
        DiffPaneModel diff = InlineDiffBuilder.Diff(expected, actual);
        IEnumerable<string> lines = diff.Lines.Where(l => l.Type != ChangeType.Unchanged).Take(60).Select(l => (l.Type == ChangeType.Inserted ? "+ " : "- ") + l.Text);
        return string.Join("\n", lines);
    }
}
