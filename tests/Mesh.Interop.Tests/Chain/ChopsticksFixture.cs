using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Rpc;
using Mesh.TestKit;

namespace Mesh.Interop.Tests.Chain;

/// <summary>
/// One chopsticks process running the real Hypertensor runtime (../shared/chain/hoskinson-raw.json) on 127.0.0.1,
/// shared by every test of the "chopsticks" collection (tests in a collection run one after another, so they see one
/// evolving chain). Block building is Instant: every submitted extrinsic gets its own block; <c>dev_newBlock</c> moves
/// epochs. When the shared folder is absent, or chopsticks is not installed and npm cannot install it, every test
/// skips with the reason; otherwise a start failure fails the tests with chopsticks' own output.
/// </summary>
public sealed class ChopsticksFixture : IAsyncLifetime
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>Why the chain tests cannot run here (null when chopsticks is up).</summary>
    public string? SkipReason { get; private set; }

    public Uri WebSocketUri { get; private set; } = null!;

    public Uri HttpUri { get; private set; } = null!;

    public TimeSpan StartupTime { get; private set; }

    private SubstrateClient? _client;

    /// <summary>The client every test shares (WebSocket).</summary>
    public SubstrateClient Client => _client ?? throw new InvalidOperationException("chopsticks is not running");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Skips the calling test when chopsticks could not be started for a legitimate reason.</summary>
    public void Require()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    public async ValueTask InitializeAsync()
    {
        string? shared = SharedData.Root;
        string genesis = shared is null ? "" : Path.Combine(shared, "chain", "hoskinson-raw.json");
        if (shared is null || !File.Exists(genesis))
        {
            SkipReason = $"the shared folder with chain/hoskinson-raw.json was not found (../shared or ${SharedData.EnvironmentVariable}); the chain tests need it";
            return;
        }
        string dir = Path.Combine(SharedData.RepositoryRoot, "interop", "chain");
        string node = Path.Combine(dir, "node_modules", ".bin", "node");
        string chopsticks = Path.Combine(dir, "node_modules", ".bin", "chopsticks");
        if (!File.Exists(node) || !File.Exists(chopsticks))
        {
            string? npmError = await TryNpmCiAsync(dir);
            if (!File.Exists(node) || !File.Exists(chopsticks))
            {
                SkipReason = $"chopsticks is not installed in {dir} and npm could not install it ({npmError ?? "unknown error"}); run `npm ci` there or `build.ps1 test`";
                return;
            }
        }
        int port = FreePort();
        var psi = new ProcessStartInfo(node)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[chopsticks, "--genesis", Path.GetFullPath(genesis), "--host", "127.0.0.1", "--port",
                     port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--build-block-mode", "Instant"])
        {
            psi.ArgumentList.Add(a);
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sw = Stopwatch.StartNew();
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("chopsticks exited before it was ready:\n" + Output));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        StartupTime = sw.Elapsed;
        WebSocketUri = new Uri($"ws://127.0.0.1:{port}");
        HttpUri = new Uri($"http://127.0.0.1:{port}");
        _client = await SubstrateClient.ConnectAsync(WebSocketUri, new ChainRpcOptions { RequestTimeout = TimeSpan.FromSeconds(60) });
    }

    private void OnLine(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Length < 256 * 1024)
            {
                _output.AppendLine(line);
            }
        }
        if (line.Contains("RPC listening", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    /// <summary>Builds <paramref name="count"/> blocks (chopsticks <c>dev_newBlock</c>) and returns the new head number.</summary>
    public async Task<ulong> NewBlocksAsync(int count, CancellationToken cancellationToken)
    {
        await Client.Rpc.RequestAsync("dev_newBlock", RpcParams.Of(new RpcObject().Add("count", count)), cancellationToken);
        return await Client.BlockNumberAsync(null, cancellationToken);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<string?> TryNpmCiAsync(string dir)
    {
        try
        {
            var psi = new ProcessStartInfo("npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            {
                psi.ArgumentList.Add(a);
            }
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            _ = await p.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await p.WaitForExitAsync(cts.Token);
            return p.ExitCode == 0 ? null : $"npm ci exited with {p.ExitCode}: {await err}";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return ex.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
            }
            _process.Dispose();
        }
    }
}

[CollectionDefinition("chopsticks")]
public sealed class ChopsticksCollection : ICollectionFixture<ChopsticksFixture>
{
}
