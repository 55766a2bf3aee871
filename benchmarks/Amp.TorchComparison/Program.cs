using AmpTorch;

// Amp beside libtorch. `grads`: gradient error against FP32, Amp's plans beside PyTorch autocast's (issue 16).
// `speed`: TrainStep times in alternating fresh processes and the ratio table (issue 19); `step` is one such process.
return args.FirstOrDefault() switch
{
    "grads" => GradientComparison.Run(),
    "speed" => SpeedComparison.Run(args[1..]),
    "step" => SpeedComparison.Step(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Amp.TorchComparison grads | speed [--rounds N] [--threads 1,2] [--models a,b] | step MODEL IMPL PRECISION THREADS STEPS");
    return 2;
}
