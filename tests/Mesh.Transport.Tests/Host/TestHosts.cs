using System.Collections.Concurrent;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Tests.Host;

/// <summary>Hosts on 127.0.0.1:0 with a log capture, and the 30 s test bound.</summary>
internal static class TestHosts
{
    public static CancellationToken Timeout(int seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    public static async Task<MeshHost> StartAsync(LogCapture? logs = null, Action<HostOptions>? configure = null)
    {
        var options = new HostOptions();
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        configure?.Invoke(options);
        var host = new MeshHost(options, logs);
        await host.StartAsync();
        return host;
    }

    public static Multiaddr AddressOf(MeshHost host) => host.GetFullListenAddresses()[0];

    /// <summary>Polls a condition that becomes true through background work (identify, close propagation).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, CancellationToken cancellationToken, string what)
    {
        while (!condition())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Assert.Fail("timed out waiting for: " + what);
            }
            await Task.Delay(10, CancellationToken.None);
        }
    }
}

/// <summary>An <see cref="ILoggerFactory"/> that records every log event (id, level, message) for assertions.</summary>
internal sealed class LogCapture : ILoggerFactory, ILoggerProvider
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Events { get; } = new();

    public bool Has(int eventId, Func<string, bool>? match = null) =>
        Events.Any(e => e.EventId == eventId && (match is null || match(e.Message)));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
