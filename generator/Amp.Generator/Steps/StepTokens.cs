using System.Globalization;

namespace Amp.Generator.Steps;

/// <summary>
/// How the step writer marks the names in its statements: every local, parameter field and chain struct is written
/// as a token, so the printer can spell it for the place the statement lands (the model's own run methods, or the one
/// body a module's instances share) without ever guessing a name from the text. Tokens never reach the generated file.
/// </summary>
internal static class StepTokens
{
    public const char Open = '⟦';

    public const char Close = '⟧';

    /// <summary>A local of a run method (<c>t12</c>, <c>g12Mean</c>, <c>t12R</c>).</summary>
    public static string Local(string name) => $"{Open}{name}{Close}";

    /// <summary>The parameter at a PyTorch path (<c>blocks.0.ln1.weight</c>).</summary>
    public static string Parameter(string path) => $"{Open}p:{path}{Close}";

    /// <summary>The struct of fused chain <paramref name="index"/>.</summary>
    public static string Chain(int index) => $"{Open}c:{Int(index)}{Close}";

    /// <summary>The salt of a random op (Dropout's masks) at parsed node <paramref name="source"/>: per instance, so a shared body draws each instance's own masks.</summary>
    public static string Salt(int source) => $"{Open}s:{Int(source)}{Close}";

    /// <summary>The struct of the backward of fused chain <paramref name="chain"/> into its leaf <paramref name="leaf"/>.</summary>
    public static string GradChain(int chain, int leaf) => $"{Open}d:{Int(chain)}:{Int(leaf)}{Close}";

    /// <summary>The name inside a local's token (a plain name is returned as it is).</summary>
    public static string Plain(string local) => local.Length > 1 && local[0] == Open && local[local.Length - 1] == Close ? local.Substring(1, local.Length - 2) : local;

    /// <summary>The locals a statement names, in order.</summary>
    public static List<string> Locals(string line)
    {
        var locals = new List<string>();
        for (int open = line.IndexOf(Open); open >= 0; open = line.IndexOf(Open, open + 1))
        {
            int close = line.IndexOf(Close, open + 1);
            string value = line.Substring(open + 1, close - open - 1);
            if (value.IndexOf(':') < 0)
            {
                locals.Add(value);
            }
        }

        return locals;
    }

    /// <summary>The statement with every token spelled by <paramref name="spell"/> (scanned by hand: this runs on every statement of every instance).</summary>
    public static string Resolve(string line, ITokenSpelling spell)
    {
        int open = line.IndexOf(Open);
        if (open < 0)
        {
            return line;
        }

        var text = new System.Text.StringBuilder(line.Length);
        int at = 0;
        for (; open >= 0; open = line.IndexOf(Open, at))
        {
            int close = line.IndexOf(Close, open + 1);
            text.Append(line, at, open - at).Append(Spell(line.Substring(open + 1, close - open - 1), spell));
            at = close + 1;
        }

        return text.Append(line, at, line.Length - at).ToString();
    }

    private static string Spell(string value, ITokenSpelling spell)
    {
        if (value.Length < 2 || value[1] != ':')
        {
            return spell.Local(value);
        }

        string[] parts = value.Substring(2).Split(':');
        return value[0] switch
        {
            'p' => spell.Parameter(parts[0]),
            'c' => spell.Chain(ParseInt(parts[0])),
            's' => spell.Salt(ParseInt(parts[0])),
            _ => spell.GradChain(ParseInt(parts[0]), ParseInt(parts[1])),
        };
    }

    private static int ParseInt(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How the tokens of a statement are spelled where it is printed.</summary>
internal interface ITokenSpelling
{
    string Local(string name);

    string Parameter(string path);

    string Chain(int index);

    string GradChain(int chain, int leaf);

    string Salt(int source);
}
