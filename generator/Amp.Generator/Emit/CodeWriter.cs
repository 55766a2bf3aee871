using System.Text;

namespace Amp.Generator.Emit;

/// <summary>An indented text writer for generated C# (four spaces, '\n' line ends on every platform).</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder text = new();
    private int depth;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            text.Append(' ', depth * 4).Append(line);
        }

        text.Append('\n');
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
}
