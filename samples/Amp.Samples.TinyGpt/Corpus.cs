using System.Runtime.InteropServices;
using System.Text;
using System.Xml;
using Amp.Data;

namespace Amp.Samples.TinyGpt;

/// <summary>
/// Real English present on every machine with the .NET SDK: the summaries and remarks of the XML documentation
/// files in the SDK's reference packs, lower-cased and reduced to 48 symbols.
/// </summary>
public sealed partial class Corpus
{
    public const int Context = 32;
    public const string Alphabet = " abcdefghijklmnopqrstuvwxyz0123456789.,;:'()-\"/?";
    private readonly int[] ids;
    private readonly int trainLength;

    private Corpus(int[] ids, string source)
    {
        this.ids = ids;
        Source = source;
        trainLength = ids.Length * 95 / 100;
    }

    public string Source { get; }

    public int Length => ids.Length;

    /// <summary>Reads up to <paramref name="maxCharacters"/> characters; null (with the reason) when no documentation files are found.</summary>
    public static Corpus? Load(int maxCharacters, out string problem)
    {
        string root = DotnetRoot();
        string packs = Path.Combine(root, "packs");
        string? directory = Directory.Exists(packs)
            ? Directory.GetDirectories(packs, "*.Ref").SelectMany(p => Directory.GetDirectories(p)).OrderByDescending(d => d, StringComparer.Ordinal)
                .SelectMany(v => Directory.Exists(Path.Combine(v, "ref")) ? Directory.GetDirectories(Path.Combine(v, "ref")) : [])
                .FirstOrDefault(d => Directory.GetFiles(d, "*.xml").Length > 0)
            : null;
        if (directory is null)
        {
            problem = $"No XML documentation files under {packs}/*.Ref/<version>/ref/<tfm>/. The sample reads the .NET SDK's reference packs; install the SDK or set DOTNET_ROOT to where it is.";
            return null;
        }

        var text = new StringBuilder();
        foreach (string file in Directory.GetFiles(directory, "*.xml").OrderBy(f => f, StringComparer.Ordinal))
        {
            using XmlReader reader = XmlReader.Create(file, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
            while (reader.Read() && text.Length < maxCharacters)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Name is "summary" or "remarks")
                {
                    Append(text, reader.ReadInnerXml());
                }
            }
        }

        int[] ids = text.ToString().Select(c => Alphabet.IndexOf(c)).ToArray();
        problem = string.Empty;
        return new Corpus(ids, $"{directory} ({ids.Length:N0} characters)");
    }

    /// <summary>Training batch <paramref name="index"/>: random windows of the first 95% (deterministic per index).</summary>
    public Batch Batch(int index, int size) => Windows(new Random(index * 7919), size, 0, trainLength);

    /// <summary>A fixed held-out batch from the last 5%.</summary>
    public Batch HeldOut(int size) => Windows(new Random(-1), size, trainLength, ids.Length);

    public static Batch Prompt(ReadOnlySpan<int> context)
    {
        var idx = new int[Context];
        context[^Math.Min(Context, context.Length)..].CopyTo(idx.AsSpan(Context - Math.Min(Context, context.Length)));
        return new Batch { { "idx", idx } };
    }

    private Batch Windows(Random random, int size, int start, int end)
    {
        var idx = new int[size * Context];
        var next = new int[size * Context];
        for (int w = 0; w < size; w++)
        {
            int at = random.Next(start, end - Context - 1);
            ids.AsSpan(at, Context).CopyTo(idx.AsSpan(w * Context));
            ids.AsSpan(at + 1, Context).CopyTo(next.AsSpan(w * Context));
        }

        return new Batch { { "idx", idx }, { "next", next } };
    }

    private static void Append(StringBuilder text, string xml)
    {
        // <see cref="T:System.String"/> reads as "string", <see langword="null"/> as "null"; other markup is dropped.
        xml = SeeReference().Replace(xml, m => m.Groups[1].Value[(m.Groups[1].Value.LastIndexOf('.') + 1)..]);
        xml = Markup().Replace(xml, " ");
        xml = System.Net.WebUtility.HtmlDecode(xml);
        bool space = text.Length == 0 || text[^1] == ' ';
        foreach (char raw in xml)
        {
            char c = char.IsWhiteSpace(raw) ? ' ' : char.ToLowerInvariant(raw);
            if (Alphabet.IndexOf(c) < 0 || (c == ' ' && space))
            {
                continue;
            }

            text.Append(c);
            space = c == ' ';
        }

        if (!space)
        {
            text.Append(' ');
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("<see (?:cref|langword)=\"(?:\\w:)?([^\"`(]*)[^\"]*\"\\s*/>")]
    private static partial System.Text.RegularExpressions.Regex SeeReference();

    [System.Text.RegularExpressions.GeneratedRegex("<[^>]*>")]
    private static partial System.Text.RegularExpressions.Regex Markup();

    private static string DotnetRoot()
    {
        string? configured = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(configured) && Directory.Exists(Path.Combine(configured, "packs")))
        {
            return configured;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/: the running runtime's directory.
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        return Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
    }
}
