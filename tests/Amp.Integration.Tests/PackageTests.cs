using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using Xunit;

namespace Amp.Integration.Tests;

/// <summary>
/// The package as a user gets it: `dotnet pack` into artifacts/packages, then a throwaway project outside the
/// repository references Amp by version through a nuget.config with that local feed, compiles a model with the
/// packaged generator (and analyzers, warnings as errors) and runs a training step.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("amp-package-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Fact]
    public void A_project_referencing_the_package_compiles_a_model_and_trains()
    {
        string root = typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AmpRepositoryRoot").Value!;
        string configuration = typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string feed = Path.Combine(root, "artifacts", "packages");
        string version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        // The solution was just built in this configuration: pack what was built.
        const string Repository = "https://example.org/amp-under-test";
        Run(root, "dotnet", $"pack runtime/Amp.Runtime/Amp.Runtime.csproj -c {configuration} --no-build -o \"{feed}\" -p:Version={version} -p:AmpRepositoryUrl={Repository}");
        string package = Path.Combine(feed, $"Amp.{version}.nupkg");
        try
        {
            using (ZipArchive zip = ZipFile.OpenRead(package))
            {
                string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
                Assert.Contains("lib/net8.0/Amp.Runtime.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Amp.Generator.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Amp.Analyzers.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Amp.Analyzers.CodeFixes.dll", entries);
                Assert.Contains("README.md", entries);

                // Every diagnostic's help page is inside the package, where its relative help link points.
                string[] pages = Directory.GetFiles(Path.Combine(root, "docs", "diagnostics"), "*.md").Select(f => "docs/diagnostics/" + Path.GetFileName(f)).ToArray();
                Assert.NotEmpty(pages);
                Assert.All(pages, page => Assert.Contains(page, entries));
                Assert.Contains("docs/precision-policy.md", entries);

                // The repository and project URL the pack was given.
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName == "Amp.nuspec").Open());
                string manifest = nuspec.ReadToEnd();
                Assert.Contains($"<projectUrl>{Repository}</projectUrl>", manifest);
                Assert.Contains($"<repository type=\"git\" url=\"{Repository}\"", manifest);
                Assert.Contains("<readme>README.md</readme>", manifest);
            }

            WriteConsumer(feed, version);
            string output = Run(scratch, "dotnet", "run -c Release");
            Assert.Contains("plan: Tiny bf16", output);
            Assert.Matches(@"step 1: loss \d+\.\d+, skipped False, scale 1", output);
        }
        finally
        {
            File.Delete(package);
        }
    }

    private void WriteConsumer(string feed, string version)
    {
        // Packages the consumer needs besides Amp (ILGPU) come from the machine's package cache, read as a local
        // feed; restoring into a private folder keeps test versions of Amp out of that cache.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(scratch, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="amp-local" value="{feed}" />
                <add key="machine-cache" value="{cache}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(scratch, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{Path.Combine(scratch, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Amp" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(scratch, "Tiny.cs"), """
            using Amp;
            using static Amp.Ops;

            [Autocast(Precision.Bf16)]
            public partial class Tiny
            {
                readonly Linear fc1 = new(8, 16);
                readonly Linear fc2 = new(16, 3);

                [Forward]
                public Tensor Logits([Shape(Batch, 8)] Tensor x) => fc2.Apply(Gelu(fc1.Apply(x)));

                [Loss]
                public Tensor Loss(Tensor logits, [Classes(3)] Labels y) => CrossEntropy(logits, y);
            }
            """);
        File.WriteAllText(Path.Combine(scratch, "Program.cs"), """
            using Amp;
            using Amp.Data;

            Init.ManualSeed(1);
            using AmpDevice device = AmpDevice.Create(DeviceKind.Cpu);
            using var model = new Tiny().Compile(device);
            Console.WriteLine($"plan: {Tiny.Plan.Model} {Tiny.Plan.Autocast.Name()}");
            var batch = new Batch { { "x", Enumerable.Range(0, 32).Select(i => (float)Math.Sin(i)).ToArray() }, { "y", new[] { 0, 1, 2, 1 } } };
            StepResult step = model.TrainStep(batch);
            Console.WriteLine($"step 1: loss {step.Loss:0.0000}, skipped {step.Skipped}, scale {step.Scale}");
            """);
    }

    private static string Run(string directory, string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {arguments}' did not finish in 4 minutes.");
        }

        string text = output.Result + error.Result;
        Assert.True(process.ExitCode == 0, $"'{file} {arguments}' in {directory} exited with {process.ExitCode}:\n{text}");
        return text;
    }
}
