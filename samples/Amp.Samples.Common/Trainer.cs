using System.Diagnostics;
using Amp.Data;
using Spectre.Console;

namespace Amp.Samples;

/// <summary>
/// Trains each run on the same batches with a live progress bar (loss, steps per second, loss scale), evaluating
/// on a held-out batch every few steps and at the end.
/// </summary>
public static class Trainer
{
    private const int Warmup = 100;

    public static void Run(IReadOnlyList<TrainingRun> runs, SampleOptions options, Func<int, Batch> batch, Batch heldOut, int evaluateEvery, Action<TrainingRun, ICompiledModel>? after = null)
    {
        using AmpDevice device = AmpDevice.Create(options.Device);
        AnsiConsole.MarkupLine($"Device: [bold]{Markup.Escape(device.Description)}[/]; {options.Steps} steps of batch {options.Batch} per precision.");

        // The device's notice channel: divergence (a skipped BF16/FP32 step), a collapsed FP16 scale, fallbacks. FP16
        // skips while the scaler finds its level are routine and only counted; the first few of the rest are shown.
        var notices = new List<DeviceNotice>();
        device.Notice += (_, notice) =>
        {
            lock (notices)
            {
                notices.Add(notice);
            }
        };
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                foreach (TrainingRun run in runs)
                {
                    ProgressTask task = progress.AddTask(Describe(run, float.NaN, 0, 1f), maxValue: options.Steps);
                    using ICompiledModel model = run.Compile(device);
                    MemoryPlan memory = model.Plan.Memory;
                    run.MemoryBytes = memory.TrainingBytes(options.Batch, model.Options);
                    run.MemoryParts = (memory.MasterWeightBytes, memory.WorkingWeightBytes, memory.GradientBytes, memory.OptimizerStateBytes(model.Options),
                        (long)options.Batch * memory.ActivationBytesPerSample, memory.WorkspaceFixedBytes + ((long)options.Batch * memory.WorkspaceBytesPerSample));
                    var clock = Stopwatch.StartNew();
                    var training = new Stopwatch();
                    // Timed: the second half of the run (at least the steps after the first 100), so the first precision
                    // does not pay for the JIT's tiering and the first allocations: each row is a steady-state figure.
                    int warmup = options.Steps >= 2 * Warmup ? Math.Max(Warmup, options.Steps / 2) : 0;
                    for (int step = 1; step <= options.Steps; step++)
                    {
                        Batch data = batch(step);

                        // Time per step counts training only, after a warm-up (tiered JIT, first allocations) on long runs.
                        if (step > warmup)
                        {
                            training.Start();
                        }

                        StepResult result = model.TrainStep(data);
                        training.Stop();
                        run.Curve.Add((step, result.Loss));
                        run.SkippedSteps += result.Skipped ? 1 : 0;
                        run.FinalScale = result.Scale;
                        if (step % evaluateEvery == 0 || step == options.Steps)
                        {
                            run.Evaluations.Add((step, model.Evaluate(heldOut)));
                        }

                        if (step % 10 == 0 || step == options.Steps)
                        {
                            double rate = step / clock.Elapsed.TotalSeconds;
                            task.Description = Describe(run, Smoothed(run.Curve), rate, result.Scale);
                            task.Value = step;
                        }
                    }

                    run.SecondsPerStep = training.Elapsed.TotalSeconds / (options.Steps - warmup);
                    run.FinalLoss = run.Evaluations[^1].Loss;
                    task.StopTask();
                    after?.Invoke(run, model);
                }
            });

        List<DeviceNotice> worth = notices.Where(n => n.Kind != DeviceNoticeKind.ScaleBackoff).ToList();
        foreach (DeviceNotice notice in worth.Take(5))
        {
            AnsiConsole.MarkupLine($"[yellow]notice[/] {Markup.Escape(notice.ToString())}");
        }

        if (worth.Count > 5)
        {
            AnsiConsole.MarkupLine($"[yellow]notice[/] ... and {worth.Count - 5} more.");
        }
    }

    /// <summary>The mean of the last 20 training losses (what the progress bar shows).</summary>
    public static float Smoothed(List<(int Step, float Loss)> curve) => curve.Count == 0 ? float.NaN : curve.TakeLast(20).Average(c => c.Loss);

    private static string Describe(TrainingRun run, float loss, double rate, float scale) =>
        $"[bold]{run.Name,-13}[/] loss {(float.IsNaN(loss) ? "  -   " : loss.ToString("0.0000"))}  {rate,6:0} steps/s  scale {scale:0}";
}
