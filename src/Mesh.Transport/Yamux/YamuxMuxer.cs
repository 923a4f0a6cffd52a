using System.IO.Pipelines;
using Mesh.Transport.Muxing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Yamux;

/// <summary>The yamux stream muxer (<c>/yamux/1.0.0</c>): wraps secured connections in <see cref="YamuxSession"/>s.</summary>
public sealed class YamuxMuxer : IStreamMuxer
{
    /// <summary>The multistream-select protocol id.</summary>
    public const string Protocol = "/yamux/1.0.0";

    private readonly ILogger _logger;

    public YamuxMuxer(YamuxOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new YamuxOptions();
        Options.Validate();
        _logger = (ILogger?)loggerFactory?.CreateLogger("Mesh.Transport.Yamux") ?? NullLogger.Instance;
    }

    public string ProtocolId => Protocol;

    public YamuxOptions Options { get; }

    public IMuxedConnection Create(IDuplexPipe connection, bool isInitiator) => CreateSession(connection, isInitiator);

    /// <summary>Starts a session over <paramref name="connection"/>, which it owns from now on.</summary>
    public YamuxSession CreateSession(IDuplexPipe connection, bool isInitiator) => new(connection, isInitiator, Options, _logger);
}
