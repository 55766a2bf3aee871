using System.Globalization;
using Amp;
using Amp.GpuCheck;

// The GPU check (issue 7): which GEMM paths the device has, each against an FP64 reference, their TFLOP/s, and a
// generated BF16 model trained on the device against the Cpu device. One table at the end. Without a GPU it runs
// the same checks on the Cpu device (small sizes) to prove the bundle works.
var arguments = args.Select(a => a.ToLowerInvariant()).ToArray();
bool quick = arguments.Contains("--quick");
DeviceKind kind = DeviceKind.Cpu;
if (!arguments.Contains("--cpu"))
{
    // Auto's own choice (AMP_DEVICE, else Cuda when a GPU is present); the check runs on Cuda or on Cpu.
    using AmpDevice probe = AmpDevice.Create();
    kind = probe.Kind == DeviceKind.Cuda ? DeviceKind.Cuda : DeviceKind.Cpu;
}

int[] sizes = kind == DeviceKind.Cuda && !quick ? [4096, 8192] : [quick ? 256 : 1024];
int steps = kind == DeviceKind.Cuda && !quick ? 300 : 10;
var rows = new List<string[]>();
Console.WriteLine($"Amp GPU check, {DateTime.UtcNow:u}; {(kind == DeviceKind.Cuda ? "CUDA device found" : "no CUDA device: Cpu path")}.");

string[] paths = kind == DeviceKind.Cuda ? ["simt", "tensorcore", "cublas"] : [string.Empty];
foreach (string path in paths)
{
    Environment.SetEnvironmentVariable("AMP_GEMM", path.Length == 0 ? null : path);
    using AmpDevice device = AmpDevice.Create(kind);
    Console.WriteLine($"[{(path.Length == 0 ? "cpu" : path)}] {device.Description}");
    if (path.Length > 0 && device.GemmPath.ToString() is var actual && !actual.Equals(path switch { "simt" => "IlgpuSimt", "tensorcore" => "IlgpuTensorCore", _ => "CuBlas" }, StringComparison.Ordinal))
    {
        rows.Add([path, "-", "-", $"not available ({actual})", "-"]);
        continue;
    }

    Precision[] precisions = path == "simt" ? [Precision.Fp32] : path == "tensorcore" ? [Precision.Bf16, Precision.Fp16] : [Precision.Fp32, Precision.Bf16, Precision.Fp16];
    foreach (Precision precision in precisions)
    {
        double error = Checks.GemmError(device, precision, 1000, 600, 300);
        string speeds = string.Join("  ", sizes.Select(s => $"{s}^3: {Checks.Throughput(device, precision, s):0.00}"));
        rows.Add([path.Length == 0 ? "cpu" : path, precision.Name(), error.ToString("E2", CultureInfo.InvariantCulture), error <= 1e-5 ? "pass" : "FAIL", speeds]);
    }
}

Environment.SetEnvironmentVariable("AMP_GEMM", null);
Console.WriteLine();
Console.WriteLine($"{"path",-11} {"op",-5} {"max rel err",-12} {"vs FP64",-8} TFLOP/s");
foreach (string[] row in rows)
{
    Console.WriteLine($"{row[0],-11} {row[1],-5} {row[2],-12} {row[3],-8} {row[4]}");
}

// Training: the same BF16 model, seed and batches on the device and on Cpu (on a Cpu-only machine: the ILGPU
// simulator against Cpu, a few steps at a small batch).
DeviceKind other = kind == DeviceKind.Cuda ? DeviceKind.Cuda : DeviceKind.IlgpuCpu;
int batch = kind == DeviceKind.Cuda ? 256 : 8;
using (AmpDevice cpu = AmpDevice.Create(DeviceKind.Cpu))
using (AmpDevice device = AmpDevice.Create(other))
{
    float[] reference = Checks.Train(cpu, steps, batch), losses = Checks.Train(device, steps, batch);
    double worst = reference.Zip(losses, (r, l) => Math.Abs(r - l) / Math.Abs(r)).Max();
    Console.WriteLine();
    Console.WriteLine($"training CheckMlp (BF16) {steps} steps, batch {batch}: {other} vs Cpu, max relative loss difference {worst:P3} " +
        $"(final {losses[^1]:0.0000} vs {reference[^1]:0.0000}) -> {(worst <= 0.01 ? "pass" : "FAIL")} (target 1%)");

    // The same training with kernels in stream order (the host waits only where it reads): it must give the same bits.
    device.StreamOrdered = true;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    float[] ordered = Checks.Train(device, steps, batch);
    double orderedSeconds = clock.Elapsed.TotalSeconds;
    device.StreamOrdered = false;
    clock.Restart();
    float[] waited = Checks.Train(device, steps, batch);
    double waitedSeconds = clock.Elapsed.TotalSeconds;
    bool same = ordered.Select(BitConverter.SingleToInt32Bits).SequenceEqual(waited.Select(BitConverter.SingleToInt32Bits));
    Console.WriteLine($"stream order: {steps} steps {orderedSeconds:0.00} s vs synchronised {waitedSeconds:0.00} s; losses {(same ? "bit-identical -> pass" : "DIFFER -> FAIL")}");
}

return 0;
