using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Validators;

namespace Mesh.Benchmarks;

/// <summary>
/// The one configuration every suite runs under: memory diagnoser (allocation per operation is a reported result),
/// JIT-optimisation validation, and a short job that fits a 2-core CI machine. `--job default` on the command line
/// switches to BenchmarkDotNet's full default job for publication-quality numbers.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig(bool shortRun)
    {
        // A ManualConfig starts empty: without a logger, columns and an exporter nothing is printed or saved.
        AddLogger(ConsoleLogger.Default);
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddExporter(MarkdownExporter.GitHub);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddValidator(JitOptimizationsValidator.FailOnError);
        // The thread-pool setting the `mesh` binary ships with (src/Mesh.Node/Mesh.Node.csproj): no spinning in idle
        // workers, so the host benchmarks measure the stack as it runs.
        var noSpin = new EnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0");
        AddJob(shortRun
            ? Job.ShortRun.WithId("short").WithEnvironmentVariables(noSpin)
            : Job.Default.WithId("default").WithEnvironmentVariables(noSpin));
        WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
    }
}
