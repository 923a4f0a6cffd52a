using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Mesh.Interop.Tests.Libp2p;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// One <c>mesh</c> process of a test: the binary named by <c>MESH_BINARY</c> (e.g. the native-AOT publish) or the
/// Mesh.Node build copied next to the tests; stdout and stderr kept line by line; stopped with SIGTERM (a graceful
/// shutdown, as an operator's Ctrl+C) and killed if it does not exit in time. Tracked so that a failed test never
/// leaves it running.
/// </summary>
internal sealed class MeshProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];

    private MeshProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string BinaryPath =>
        Environment.GetEnvironmentVariable("MESH_BINARY") is { Length: > 0 } custom ? custom : Path.Combine(AppContext.BaseDirectory, "mesh");

    public static MeshProcess Start(string name, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(BinaryPath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var mesh = new MeshProcess(process, name);
        process.OutputDataReceived += (_, e) => mesh.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => mesh.OnLine(e.Data);
        process.Start();
        ChildProcesses.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return mesh;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            if (_log.Length < 4 * 1024 * 1024)
            {
                _log.AppendLine(line);
            }
            foreach ((Regex pattern, TaskCompletionSource<Match> found) in _waiters)
            {
                if (!found.Task.IsCompleted && pattern.Match(line) is { Success: true } m)
                {
                    found.TrySetResult(m);
                }
            }
        }
    }

    /// <summary>The first line (already seen or to come) matching <paramref name="pattern"/>; fails if the process exits first.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var regex = new Regex(pattern);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_log)
        {
            foreach (string line in _log.ToString().Split('\n'))
            {
                if (regex.Match(line.TrimEnd('\r')) is { Success: true } m)
                {
                    return m;
                }
            }
            _waiters.Add((regex, found));
        }
        Task exited = _process.WaitForExitAsync(cancellationToken);
        Task done = await Task.WhenAny(found.Task, exited, Task.Delay(timeout, cancellationToken));
        if (done == found.Task)
        {
            return await found.Task;
        }
        throw new Xunit.Sdk.XunitException($"{Name}: no line matching '{pattern}' ({(done == exited ? $"exited with {_process.ExitCode}" : "timed out")}):\n{Log}");
    }

    /// <summary>SIGTERM, then the exit code (killing it after <paramref name="grace"/>).</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return -1;
        }
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to end by itself (a command, not a node).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        ChildProcesses.Untrack(_process);
        _process.Dispose();
    }
}
