using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.TestKit;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// A js-libp2p 3.x peer (interop/js/peer.mjs) running as a separate process. Its stdout carries JSON lines (the
/// "listening" line, then one answer per command), stderr its logs, kept for failure messages. Dispose kills the whole
/// process tree.
/// </summary>
public sealed class JsPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<JsonObject> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<JsonObject> _otherLines = [];
    private int _nextId;

    private JsPeer(Process process)
    {
        _process = process;
    }

    public string PeerId { get; private set; } = "";

    /// <summary>Full listen multiaddrs, each ending in /p2p/&lt;id&gt;.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public IReadOnlyList<string> Protocols { get; private set; } = [];

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>interop/js, or skips the calling test when its node_modules are not installed.</summary>
    public static string RequireInstalled()
    {
        string dir = Path.Combine(SharedData.RepositoryRoot, "interop", "js");
        string node = Path.Combine(dir, "node_modules", ".bin", "node");
        if (!File.Exists(node) || !Directory.Exists(Path.Combine(dir, "node_modules", "libp2p")))
        {
            Assert.Skip($"js-libp2p peers are not installed ({dir}/node_modules missing): run `npm ci` in interop/js or `build.ps1 test`.");
        }
        return dir;
    }

    /// <summary>Starts <c>node peer.mjs ROLE ARGS...</c> and, for serving roles, waits for its listen addresses.</summary>
    public static async Task<JsPeer> StartAsync(CancellationToken cancellationToken, params string[] args)
    {
        string dir = RequireInstalled();
        var psi = new ProcessStartInfo(Path.Combine(dir, "node_modules", ".bin", "node"))
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("peer.mjs");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var peer = new JsPeer(process);
        ChildProcesses.Track(process);
        process.OutputDataReceived += (_, e) => peer.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (peer._stderr)
                {
                    peer._stderr.AppendLine(e.Data);
                }
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => peer.OnExited();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (args.Length > 0 && args[0] is "serve" or "perf-server" or "kad")
        {
            JsonObject listening;
            try
            {
                listening = await peer._listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (Exception ex)
            {
                await peer.DisposeAsync();
                throw new InvalidOperationException("js peer did not start: " + ex.Message + "\n" + peer.Stderr, ex);
            }
            peer.PeerId = (string)listening["peerId"]!;
            peer.Addresses = listening["addrs"]!.AsArray().Select(a => (string)a!).ToArray();
            peer.Protocols = listening["protocols"]!.AsArray().Select(a => (string)a!).ToArray();
        }
        return peer;
    }

    /// <summary>Sends one command; returns the answer object, or throws with the js error and stderr when ok is false.</summary>
    public async Task<JsonObject> RunAsync(JsonObject command, CancellationToken cancellationToken)
    {
        int id = Interlocked.Increment(ref _nextId);
        command["id"] = id;
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        string line = command.ToJsonString();
        lock (_process)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
        JsonObject answer = await tcs.Task.WaitAsync(cancellationToken);
        if (!(bool)answer["ok"]!)
        {
            throw new JsPeerException($"js command {command["cmd"]} failed: {answer["error"]}\n--- js stderr ---\n{Stderr}");
        }
        return answer;
    }

    /// <summary>For one-shot roles (perf-client, conn-rate): waits for exit and returns the JSON lines printed.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        if (_process.ExitCode != 0)
        {
            throw new JsPeerException($"js peer exited with {_process.ExitCode}\n--- js stderr ---\n{Stderr}");
        }
        lock (_otherLines)
        {
            return _otherLines.ToArray();
        }
    }

    private void OnStdout(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(line)!.AsObject();
        }
        catch (JsonException)
        {
            lock (_stderr)
            {
                _stderr.AppendLine("(stdout) " + line);
            }
            return;
        }
        if (obj["type"] is JsonValue t && (string?)t == "listening")
        {
            _listening.TrySetResult(obj);
        }
        else if (obj["id"] is JsonValue idValue && _pending.TryRemove((int)idValue, out TaskCompletionSource<JsonObject>? tcs))
        {
            tcs.TrySetResult(obj);
        }
        else
        {
            lock (_otherLines)
            {
                _otherLines.Add(obj);
            }
        }
    }

    private void OnExited()
    {
        var error = new JsPeerException("js peer exited\n--- js stderr ---\n" + Stderr);
        _listening.TrySetException(error);
        foreach (int id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out TaskCompletionSource<JsonObject>? tcs))
            {
                tcs.TrySetException(error);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // MESH_INTEROP_LOGS=DIR keeps each js peer's stderr (DEBUG=libp2p:* output included) for post-mortems.
        if (Environment.GetEnvironmentVariable("MESH_INTEROP_LOGS") is { Length: > 0 } logDir)
        {
            Directory.CreateDirectory(logDir);
            await File.WriteAllTextAsync(Path.Combine(logDir, $"js-peer-{_process.Id}.log"), Stderr);
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            ChildProcesses.Untrack(_process);
            _process.Dispose();
        }
    }
}

public sealed class JsPeerException(string message) : Exception(message);
