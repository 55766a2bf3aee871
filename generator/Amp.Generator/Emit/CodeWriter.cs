using System.Text;

namespace Amp.Generator.Emit;

/// <summary>
/// An indented text writer for generated C# (four spaces, '\n' line ends on every platform). No line it writes is
/// longer than <see cref="MaxWidth"/>: a longer comment continues on the next line with the same prefix, a longer
/// statement breaks after its last ", ", "=> " or binary operator that fits (outside string literals) and continues indented.
/// </summary>
internal sealed class CodeWriter
{
    public const int MaxWidth = 160;

    private readonly StringBuilder text = new();
    private readonly Func<string, string>? resolve;
    private readonly bool wrap;
    private int depth;

    /// <param name="resolve">Applied to every line before it is measured (the source map's line tokens, resolved).</param>
    /// <param name="wrap">False for statements that are printed again later (the step writer's, whose names are still tokens): they are measured where they land.</param>
    public CodeWriter(Func<string, string>? resolve = null, bool wrap = true)
    {
        this.resolve = resolve;
        this.wrap = wrap;
    }

    public CodeWriter Line(string line = "")
    {
        line = resolve?.Invoke(line) ?? line;
        if (line.Length == 0)
        {
            text.Append('\n');
            return this;
        }

        string indent = new(' ', depth * 4);
        foreach (string part in wrap ? Wrap(indent, line) : [indent + line])
        {
            text.Append(part).Append('\n');
        }

        return this;
    }

    public CodeWriter Open(string line)
    {
        Line(line).Line("{");
        depth++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        depth--;
        return Line("}" + suffix);
    }

    public override string ToString() => text.ToString();

    /// <summary><paramref name="line"/> at <paramref name="indent"/>, as one or more lines of at most <see cref="MaxWidth"/>.</summary>
    private static IEnumerable<string> Wrap(string indent, string line)
    {
        string rest = line;
        string continuation = indent;
        bool first = true;
        while (true)
        {
            string prefix = first ? indent : continuation;
            if (prefix.Length + rest.Length <= MaxWidth)
            {
                yield return prefix + rest;
                yield break;
            }

            int cut = Break(rest, MaxWidth - prefix.Length, out string carry);
            if (cut <= 0)
            {
                // One token longer than the width (a very long user name): kept whole rather than broken.
                yield return prefix + rest;
                yield break;
            }

            yield return (prefix + rest.Substring(0, cut)).TrimEnd();
            if (first)
            {
                // The line's own leading spaces count: a plan entry written as "        new(..." continues under its "new".
                string own = indent + rest.Substring(0, rest.Length - rest.TrimStart().Length);
                continuation = carry.Length > 0 ? own + carry : own + "    ";
                first = false;
            }

            rest = rest.Substring(cut).TrimStart();
        }
    }

    /// <summary>
    /// Where to break <paramref name="line"/> so the first part fits in <paramref name="width"/>: after a space in a
    /// comment (the next line repeats the comment prefix, <paramref name="carry"/>), else after ", " or "=> " outside
    /// string and character literals; 0 when nowhere.
    /// </summary>
    private static int Break(string line, int width, out string carry)
    {
        string trimmed = line.TrimStart();
        if (trimmed.StartsWith("//", StringComparison.Ordinal))
        {
            carry = trimmed.StartsWith("///", StringComparison.Ordinal) ? "/// " : "// ";
            int space = line.LastIndexOf(' ', Math.Min(width, line.Length - 1));
            return space > carry.Length ? space + 1 : 0;
        }

        carry = string.Empty;
        int best = 0;
        char quote = '\0';
        for (int i = 0; i < line.Length - 1 && i < width; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (i + 1 > width)
            {
                // The first part would end here with this character: too long.
            }
            else if (line[i + 1] == ' ' && (c == ',' || (c == '>' && i > 0 && line[i - 1] == '=')))
            {
                best = i + 2;
            }
            else if (line[i + 1] == ' ' && i > 0 && line[i - 1] == ' ' && c is '+' or '-' or '*' or '/')
            {
                // A binary operator of a long formula: the line ends with it, the operand continues below.
                best = i + 2;
            }
        }

        return best;
    }
}
