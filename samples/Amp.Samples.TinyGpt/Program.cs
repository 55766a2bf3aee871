using Amp;
using Amp.Samples;
using Amp.Samples.TinyGpt;
using Spectre.Console;

// Trains a 3-block character GPT on the SDK's own documentation text in FP32, BF16 and FP16 (with the loss
// scaler) from the same initial weights on the same batches; prints a table, a text sample per precision, and
// writes the loss curves as a PNG and a CSV.
SampleOptions options;
try
{
    options = SampleOptions.Parse(args, defaultSteps: 600, defaultBatch: 16, defaultOut: "out");
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}

Corpus? corpus = Corpus.Load(maxCharacters: 3_000_000, out string problem);
if (corpus is null)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
    return 1;
}

var training = new TrainingOptions
{
    AdamW = new AdamWHyperparameters(LearningRate: 3e-3f, WeightDecay: 1e-2f),
    Schedule = LearningRateSchedule.WarmupCosine(warmupSteps: Math.Min(60, options.Steps / 10), totalSteps: options.Steps + 1, minFactor: 0.1f),
    MaxGradNorm = 1f,
};
ICompiledModel Compile(Precision precision, AmpDevice device)
{
    Init.ManualSeed(options.Seed);
    return new CharGpt().Compile(device, precision, training);
}

AnsiConsole.Write(new Rule("[bold]Amp: a 3-block character GPT on the .NET SDK's documentation, mixed precision[/]"));
AnsiConsole.MarkupLine($"Text: {Markup.Escape(corpus.Source)}");
var runs = options.Precisions.Select(p => new TrainingRun(p, device => Compile(p, device))).ToList();
var samples = new Dictionary<Precision, string>();
Trainer.Run(runs, options, step => corpus.Batch(step, options.Batch), corpus.HeldOut(64), evaluateEvery: 50,
    after: (run, model) => samples[run.Precision] = Generate(model, "the ", 200, new Random(options.Seed)));

Report.Table(runs, "Character GPT: held-out loss (nats per character)");
foreach (TrainingRun run in runs)
{
    AnsiConsole.Write(new Panel(Markup.Escape(samples[run.Precision])).Header($"{run.Name} writes").Expand());
}

string png = Report.Plot(runs, options.Out, "tinygpt-loss", "Character GPT: loss per precision");
AnsiConsole.MarkupLine($"Loss curves: [bold]{Markup.Escape(Path.GetFullPath(png))}[/] (with tinygpt-loss-vs-fp32.png, the difference to FP32, and tinygpt-loss.csv beside it).");
return 0;

// Samples one character at a time from the model's last position, temperature 0.8.
static string Generate(ICompiledModel model, string prompt, int length, Random random)
{
    var text = new List<int>(prompt.Select(c => Corpus.Alphabet.IndexOf(c)));
    for (int i = 0; i < length; i++)
    {
        float[] logits = model.Forward(Corpus.Prompt(text.ToArray()));
        int last = Corpus.Context - 1; // the prompt is right-aligned in the window
        ReadOnlySpan<float> row = logits.AsSpan(last * Corpus.Alphabet.Length, Corpus.Alphabet.Length);
        float max = float.NegativeInfinity;
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }

        double[] weights = new double[row.Length];
        for (int k = 0; k < row.Length; k++)
        {
            weights[k] = Math.Exp((row[k] - max) / 0.8);
        }

        double pick = random.NextDouble() * weights.Sum();
        int next = 0;
        for (; next < weights.Length - 1 && (pick -= weights[next]) > 0; next++)
        {
        }

        text.Add(next);
    }

    return new string(text.Select(id => Corpus.Alphabet[id]).ToArray());
}
