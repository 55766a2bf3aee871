using System.Globalization;
using System.Text;
using ScottPlot;
using Spectre.Console;

namespace Amp.Samples;

/// <summary>The final table, and the loss curves of all precisions as a PNG plot with a CSV beside it.</summary>
public static class Report
{
    public static void Table(IReadOnlyList<TrainingRun> runs, string title)
    {
        // Redirected output (a log, CI) has no terminal width and Spectre assumes 80 columns, which wraps every cell.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 140)
        {
            AnsiConsole.Profile.Width = 140;
        }

        TrainingRun? fp32 = runs.FirstOrDefault(r => r.Precision == Precision.Fp32);
        var table = new Table().Title(title).AddColumns("precision", "final loss (held out)", "vs FP32", "time / step", "memory (plan)", "skipped steps", "final scale");
        foreach (TrainingRun run in runs)
        {
            double change = fp32 is null ? 0 : 100.0 * (run.FinalLoss - fp32.FinalLoss) / fp32.FinalLoss;
            string delta = fp32 is null || run == fp32 ? "-" : $"{(change < 0 ? "-" : "+")}{Math.Abs(change).ToString("0.00", CultureInfo.InvariantCulture)} %";
            table.AddRow(run.Name, run.FinalLoss.ToString("0.0000", CultureInfo.InvariantCulture), delta, $"{run.SecondsPerStep * 1000:0.00} ms",
                $"{run.MemoryBytes / 1024.0:N0} KiB", run.SkippedSteps.ToString(CultureInfo.InvariantCulture), run.FinalScale.ToString("0", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine("time / step: TrainStep alone, mean over the second half of each run (steady state: after the JIT's tiering).");

        // Where the memory goes: AMP halves activations and workspace; masters, gradients and AdamW's moments stay FP32
        // (and working copies add half a master), so a small, weight-dominated model saves little. "saved": the
        // activations kept for the backward, part of the workspace; "grads": the FP32 weight gradients.
        static string K(long bytes) => (bytes / 1024.0).ToString("N0", CultureInfo.InvariantCulture);
        var parts = new Table().Title("memory of a training session (KiB)")
            .AddColumns("precision", "masters", "working", "grads", "optimizer", "workspace", "saved", "total");
        foreach (TrainingRun run in runs)
        {
            var p = run.MemoryParts;
            parts.AddRow(run.Name, K(p.Masters), K(p.Working), K(p.Gradients), K(p.Optimizer), K(p.Workspace), K(p.Activations), K(run.MemoryBytes));
        }

        AnsiConsole.Write(parts);
    }

    /// <summary>The training loss as a running mean of the last 20 steps (fewer at the start), one value per step.</summary>
    private static double[] Smoothed(TrainingRun run) =>
        run.Curve.Select((_, k) => (double)run.Curve.Skip(Math.Max(0, k - 19)).Take(Math.Min(k + 1, 20)).Average(c => c.Loss)).ToArray();

    /// <summary>
    /// The low-precision curves minus FP32's (20-step means of the training loss, and the held-out evaluations), beside a zero
    /// line: where the three curves of the main plot lie on top of each other, this shows how far apart they are.
    /// </summary>
    private static void PlotAgainstFp32(IReadOnlyList<TrainingRun> runs, string png, string title)
    {
        if (runs.FirstOrDefault(r => r.Precision == Precision.Fp32) is not { } fp32 || runs.Count < 2)
        {
            return;
        }

        var plot = new Plot();
        ScottPlot.Color[] colors = [Colors.Black, Colors.DodgerBlue, Colors.OrangeRed];
        double[] reference = Smoothed(fp32);
        foreach (TrainingRun run in runs.Where(r => r != fp32))
        {
            double[] own = Smoothed(run);
            int n = Math.Min(own.Length, reference.Length);
            var line = plot.Add.Scatter(run.Curve.Take(n).Select(c => (double)c.Step).ToArray(), own.Take(n).Zip(reference, (a, b) => a - b).ToArray(), colors[(int)run.Precision % colors.Length]);
            line.LegendText = run.Name + " - FP32 (train, 20-step mean)";
            line.MarkerSize = 0;
            int m = Math.Min(run.Evaluations.Count, fp32.Evaluations.Count);
            var held = plot.Add.Scatter(run.Evaluations.Take(m).Select(e => (double)e.Step).ToArray(),
                run.Evaluations.Take(m).Zip(fp32.Evaluations, (a, b) => (double)(a.Loss - b.Loss)).ToArray(), colors[(int)run.Precision % colors.Length]);
            held.LegendText = run.Name + " - FP32 (held out)";
            held.LinePattern = LinePattern.Dashed;
        }

        plot.Add.HorizontalLine(0, color: Colors.Gray);
        plot.Title(title + ": difference to FP32");
        plot.XLabel("step");
        plot.YLabel("loss - FP32 loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(png, 900, 540);
    }

    /// <summary>
    /// Writes NAME.png (training loss, smoothed, and held-out loss per precision), NAME-vs-fp32.png (each low precision's
    /// curves minus FP32's, so overlapping curves stay readable) and NAME.csv; returns the first PNG's path.
    /// </summary>
    public static string Plot(IReadOnlyList<TrainingRun> runs, string directory, string name, string title)
    {
        Directory.CreateDirectory(directory);
        var plot = new Plot();
        ScottPlot.Color[] colors = [Colors.Black, Colors.DodgerBlue, Colors.OrangeRed];
        for (int i = 0; i < runs.Count; i++)
        {
            TrainingRun run = runs[i];
            double[] xs = run.Curve.Select(c => (double)c.Step).ToArray();
            double[] smoothed = Smoothed(run);
            var line = plot.Add.Scatter(xs, smoothed, colors[(int)run.Precision % colors.Length]);
            line.LegendText = run.Name + " (train, 20-step mean)";
            line.MarkerSize = 0;
            var held = plot.Add.Scatter(run.Evaluations.Select(e => (double)e.Step).ToArray(), run.Evaluations.Select(e => (double)e.Loss).ToArray(), colors[(int)run.Precision % colors.Length]);
            held.LegendText = run.Name + " (held out)";
            held.LinePattern = LinePattern.Dashed;
        }

        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("cross-entropy loss");
        plot.ShowLegend(Alignment.UpperRight);
        string png = Path.Combine(directory, name + ".png");
        plot.SavePng(png, 900, 540);
        PlotAgainstFp32(runs, Path.Combine(directory, name + "-vs-fp32.png"), title);

        var csv = new StringBuilder("step");
        foreach (TrainingRun run in runs)
        {
            csv.Append(CultureInfo.InvariantCulture, $",{run.Precision.ToString().ToLowerInvariant()}_train_loss");
        }

        csv.AppendLine();
        int rows = runs.Max(r => r.Curve.Count);
        for (int s = 0; s < rows; s++)
        {
            csv.Append(s + 1);
            foreach (TrainingRun run in runs)
            {
                csv.Append(',').Append(s < run.Curve.Count ? run.Curve[s].Loss.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
            }

            csv.AppendLine();
        }

        File.WriteAllText(Path.Combine(directory, name + ".csv"), csv.ToString());
        return png;
    }
}
