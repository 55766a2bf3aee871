using Amp;
using Amp.Data;
using Amp.Samples;
using Amp.Samples.Cnn;
using Models;
using Spectre.Console;

// Trains a small ResNet on rendered digits in FP32, BF16 and FP16 (with the loss scaler) from the same initial weights
// on the same batches, then prints a table with held-out accuracy and writes the loss curves and a grid of test
// images with their predictions as PNGs.
SampleOptions options;
try
{
    options = SampleOptions.Parse(args, defaultSteps: 300, defaultBatch: 64, defaultOut: "out");
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}

var data = new Digits(options.Seed);
var training = new TrainingOptions
{
    AdamW = new AdamWHyperparameters(LearningRate: 4e-3f, WeightDecay: 1e-4f),
    Schedule = LearningRateSchedule.WarmupCosine(warmupSteps: Math.Min(50, options.Steps / 10), totalSteps: options.Steps + 1, minFactor: 0.02f),
};
ICompiledModel Compile(Precision precision, AmpDevice device)
{
    Init.ManualSeed(options.Seed);
    return new DigitNet().Compile(device, precision, training);
}

AnsiConsole.Write(new Rule("[bold]Amp: a small ResNet on 28x28 digits (conv, BatchNorm, residual, pooling, Dropout), mixed precision[/]"));
AnsiConsole.WriteLine(DigitNet.Plan.ToString());

// Held out: images from a seed no training batch uses; the loss curve reads 512 of them, the accuracy all 2,000.
const int HeldOut = 2000, Chunk = 250;
Batch test = data.Batch(-1, HeldOut);
Batch testLoss = data.Batch(-2, 512);
var runs = options.Precisions.Select(p => new TrainingRun(p, device => Compile(p, device))).ToList();
var accuracy = new Dictionary<Precision, double>();
int[] predictions = [];
Trainer.Run(runs, options, step => data.Batch(step, options.Batch), testLoss, evaluateEvery: 50, after: (run, model) =>
{
    predictions = Predict(model, test);
    int[] labels = test.Get<int[]>("label");
    accuracy[run.Precision] = predictions.Select((p, i) => p == labels[i] ? 1.0 : 0.0).Average();
});

Report.Table(runs, $"Digits: held-out loss after training ({testLoss.Get<int[]>("label").Length} images)");
foreach (TrainingRun run in runs)
{
    AnsiConsole.MarkupLine($"{run.Name}: held-out accuracy {accuracy[run.Precision]:P2} ({HeldOut:N0} images)");
}

string png = Report.Plot(runs, options.Out, "cnn-loss", "Digit ResNet: loss per precision");
string grid = ImageGrid.Write(Path.Combine(options.Out, "cnn-predictions.png"), test, predictions, count: 64);
AnsiConsole.MarkupLine($"Loss curves: [bold]{Markup.Escape(Path.GetFullPath(png))}[/] (with cnn-loss-vs-fp32.png, the difference to FP32, and cnn-loss.csv beside it).");
AnsiConsole.MarkupLine($"Test images with the last run's predictions (green right, red wrong): [bold]{Markup.Escape(Path.GetFullPath(grid))}[/].");
return 0;

// Eval mode (BatchNorm on its running statistics, no Dropout), in chunks so the activations of 2,000 images are never held at once.
static int[] Predict(ICompiledModel model, Batch test)
{
    float[] images = test.Get<float[]>("image");
    int count = images.Length / (Digits.Size * Digits.Size), pixels = Digits.Size * Digits.Size;
    var predicted = new int[count];
    for (int start = 0; start < count; start += Chunk)
    {
        int n = Math.Min(Chunk, count - start);
        float[] logits = model.Forward(new Batch { { "image", images.AsSpan(start * pixels, n * pixels).ToArray() } });
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(i * Digits.Classes, Digits.Classes);
            predicted[start + i] = row.IndexOf(Max(row));
        }
    }

    return predicted;
}

static float Max(ReadOnlySpan<float> values)
{
    float best = float.NegativeInfinity;
    foreach (float v in values)
    {
        best = Math.Max(best, v);
    }

    return best;
}
