using Amp;
using Amp.Samples;
using Amp.Samples.Mlp;
using Spectre.Console;

// Trains the spiral classifier in FP32, BF16 and FP16 (with the loss scaler) from the same initial weights on the
// same batches, then prints a table and writes the loss curves as a PNG and a CSV.
SampleOptions options;
try
{
    options = SampleOptions.Parse(args, defaultSteps: 1500, defaultBatch: 128, defaultOut: "out");
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}

var data = new Spirals(options.Seed);
var training = new TrainingOptions
{
    AdamW = new AdamWHyperparameters(LearningRate: 2e-3f, WeightDecay: 1e-4f),
    Schedule = LearningRateSchedule.WarmupCosine(warmupSteps: Math.Min(100, options.Steps / 10), totalSteps: options.Steps + 1, minFactor: 0.05f),
};
ICompiledModel Compile(Precision precision, AmpDevice device)
{
    Init.ManualSeed(options.Seed);
    return new SpiralNet().Compile(device, precision, training);
}

AnsiConsole.Write(new Rule("[bold]Amp: spiral classifier, 64 -> 256 -> 256 -> 5, mixed precision[/]"));
AnsiConsole.WriteLine(SpiralNet.Plan.ToString());
var runs = options.Precisions.Select(p => new TrainingRun(p, device => Compile(p, device))).ToList();
var accuracy = new Dictionary<Precision, double>();
Amp.Data.Batch heldOut = data.Batch(-1, 2000);
Trainer.Run(runs, options, step => data.Batch(step, options.Batch), heldOut, evaluateEvery: 50, after: (run, model) =>
{
    float[] logits = model.Forward(heldOut);
    int[] labels = heldOut.Get<int[]>("y");
    accuracy[run.Precision] = labels.Select((label, i) => logits.AsSpan(i * Spirals.Arms, Spirals.Arms).IndexOf(Max(logits.AsSpan(i * Spirals.Arms, Spirals.Arms))) == label ? 1.0 : 0.0).Average();
});

Report.Table(runs, "Spirals: held-out loss after training (2,000 points)");
foreach (TrainingRun run in runs)
{
    AnsiConsole.MarkupLine($"{run.Name}: held-out accuracy {accuracy[run.Precision]:P1}");
}

string png = Report.Plot(runs, options.Out, "mlp-loss", "Spiral classifier: loss per precision");
AnsiConsole.MarkupLine($"Loss curves: [bold]{Markup.Escape(Path.GetFullPath(png))}[/] (with mlp-loss-vs-fp32.png, the difference to FP32, and mlp-loss.csv beside it).");
return 0;

static float Max(ReadOnlySpan<float> values)
{
    float best = float.NegativeInfinity;
    foreach (float v in values)
    {
        best = Math.Max(best, v);
    }

    return best;
}
