using System.Runtime.InteropServices;

namespace Mesh.Node.Hosting;

/// <summary>
/// Turns SIGINT (Ctrl+C) and SIGTERM (systemd, docker stop, kill) into a cancellation: the first signal cancels
/// <see cref="Token"/> and suppresses the default termination so the process can shut down gracefully (leave the
/// swarm, flush the local chain, close the metrics endpoint); a second signal while shutting down lets the default
/// action happen, so an operator can always force the process to stop.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    private ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Installs the handlers; dispose to remove them.</summary>
    public static ShutdownSignal Register() => new();

    /// <summary>Canceled when the first SIGINT or SIGTERM arrives.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Received { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) == 1)
        {
            Received = context.Signal;
            context.Cancel = true;
            _cts.Cancel();
        }
        // A second signal: leave context.Cancel false so the runtime terminates the process.
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration r in _registrations)
        {
            r.Dispose();
        }
        _cts.Dispose();
    }
}
