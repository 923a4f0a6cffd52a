using System.Globalization;
using System.Text;
using System.Text.Json;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Serialization;
using System.CommandLine;
using Mesh.Multistream;
using Mesh.Node.Hosting;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>What the DHT verbs (<c>mesh dht</c>, <c>mesh get</c>, <c>mesh store</c>) share: multiaddr lists, the host, the node, value rendering.</summary>
internal static class DhtCliSupport
{
    /// <summary>Parses every multiaddr of a list flag; a bad one is a usage error naming the flag.</summary>
    public static Multiaddr[] ParseAddresses(string flag, string[]? texts, bool requirePeerId)
    {
        var result = new List<Multiaddr>();
        foreach (string text in texts ?? [])
        {
            if (!Multiaddr.TryParse(text, out Multiaddr? address, out MultiaddrError error))
            {
                throw new CliUsageException($"{flag}: '{text}' is not a multiaddr ({error})");
            }
            if (requirePeerId && !(address.TryGetPeerId(out ReadOnlySpan<byte> id) && PeerId.TryFromBytes(id, out _)))
            {
                throw new CliUsageException($"{flag}: '{text}' has no /p2p/<peer id> part (the peer must be named)");
            }
            result.Add(address);
        }
        return [.. result];
    }

    /// <summary>
    /// A started host listening on the TCP addresses of <paramref name="listen"/> (none: dial only) and advertising
    /// <paramref name="announce"/> instead when given. UDP/QUIC listen addresses (as in the seed README) are skipped
    /// with a warning: this build listens on TCP only.
    /// </summary>
    /// <exception cref="CliUsageException">An announce address names another peer.</exception>
    public static async Task<MeshHost> StartHostAsync(PrivateKey identity, IEnumerable<Multiaddr> listen, ILoggerFactory loggers, ILogger log, CancellationToken cancellationToken,
        IEnumerable<Multiaddr>? announce = null)
    {
        var options = new HostOptions { Identity = identity };
        foreach (Multiaddr address in announce ?? [])
        {
            if (address.TryGetPeerId(out ReadOnlySpan<byte> named) && !(PeerId.TryFromBytes(named, out PeerId peer) && peer == identity.PeerId))
            {
                throw new CliUsageException($"--announce_maddrs: '{address}' names another peer than this node ({identity.PeerId})");
            }
            options.AnnounceAddresses.Add(address);
        }
        foreach (Multiaddr address in listen)
        {
            if (address.Contains(MultiaddrProtocol.Tcp))
            {
                options.ListenAddresses.Add(address);
            }
            else
            {
                DhtCliLog.SkippedAddress(log, address.ToString());
            }
        }
        var host = new MeshHost(options, loggers);
        try
        {
            await host.StartAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The DHT verbs' stderr logger: the node's own lines at Information (Debug with --verbose), the transport's and the
    /// kad DHT's only from Warning unless verbose, so the first lines an operator sees are the DHT's, as with mesh-dht.
    /// </summary>
    public static ILoggerFactory CreateLoggers(ParseResult parse, bool verbose, LogLevel level = LogLevel.Information) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(verbose ? LogLevel.Debug : level);
            if (!verbose)
            {
                builder.AddFilter("Mesh.Transport", LogLevel.Warning);
                builder.AddFilter("Mesh.Kademlia.Libp2p", LogLevel.Warning); // the peer-routing kad DHT is plumbing here
            }
            builder.AddProvider(new MeshConsoleLoggerProvider(LogFormat.Text, CliOption.Error(parse), TimeProvider.System));
        });

    /// <summary>How a value prints: a str as its text, anything else as a Python-like rendering of the msgpack value.</summary>
    public static string Render(MsgValue value) => value.Kind == MsgKind.String ? value.AsString() : value.ToString();

    /// <summary>A DHT time (unix seconds) exactly, as Python's repr of a float prints it.</summary>
    public static string Time(double seconds) => seconds.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes a msgpack value as JSON: str/int/float/bool/nil as themselves, bytes as {"hex": …}, tuples and lists as arrays, maps as arrays of [key, value] pairs.</summary>
    public static void WriteJson(Utf8JsonWriter json, MsgValue value)
    {
        switch (value.Kind)
        {
            case MsgKind.Nil:
                json.WriteNullValue();
                break;
            case MsgKind.Bool:
                json.WriteBooleanValue(value.AsBoolean());
                break;
            case MsgKind.Integer:
                if (value.TryGetInt64(out long l))
                {
                    json.WriteNumberValue(l);
                }
                else
                {
                    value.TryGetUInt64(out ulong u);
                    json.WriteNumberValue(u);
                }
                break;
            case MsgKind.Float:
                double d = value.AsDouble();
                if (double.IsFinite(d))
                {
                    json.WriteNumberValue(d);
                }
                else
                {
                    json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case MsgKind.String:
                json.WriteStringValue(value.AsString());
                break;
            case MsgKind.Binary:
                json.WriteStartObject();
                json.WriteString("hex", Convert.ToHexStringLower(value.AsSpan()));
                json.WriteEndObject();
                break;
            case MsgKind.Array:
            case MsgKind.Tuple:
                json.WriteStartArray();
                foreach (MsgValue item in value.AsItems())
                {
                    WriteJson(json, item);
                }
                json.WriteEndArray();
                break;
            case MsgKind.Map:
                json.WriteStartArray();
                foreach (MsgMapEntry entry in value.AsMap())
                {
                    json.WriteStartArray();
                    WriteJson(json, entry.Key);
                    WriteJson(json, entry.Value);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }

    /// <summary>Prints a get result: text lines, or one JSON object with <paramref name="json"/>.</summary>
    public static void PrintValue(TextWriter output, string key, DhtValue value, bool json)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("key", key);
                writer.WriteNumber("expiration_time", value.ExpirationTime);
                if (value.IsDictionary)
                {
                    writer.WriteStartArray("subkeys");
                    foreach (KeyValuePair<MsgValue, ValueWithExpiration> item in value.Subkeys!)
                    {
                        writer.WriteStartObject();
                        writer.WritePropertyName("subkey");
                        WriteJson(writer, item.Key);
                        writer.WritePropertyName("value");
                        WriteJson(writer, item.Value.Value);
                        writer.WriteNumber("expiration_time", item.Value.ExpirationTime);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                }
                else
                {
                    writer.WritePropertyName("value");
                    WriteJson(writer, value.Value);
                }
                writer.WriteEndObject();
            }
            output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
            return;
        }
        if (value.IsDictionary)
        {
            foreach (KeyValuePair<MsgValue, ValueWithExpiration> item in value.Subkeys!)
            {
                output.WriteLine($"{Render(item.Key)}\t{Render(item.Value.Value)}\texpires {Time(item.Value.ExpirationTime)}");
            }
            return;
        }
        output.WriteLine(Render(value.Value));
        output.WriteLine($"expires {Time(value.ExpirationTime)}");
    }
}

internal static partial class DhtCliLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Skipping {Address}: this build listens and dials on TCP only")]
    public static partial void SkippedAddress(ILogger logger, string address);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Running a DHT instance. To connect other peers to this one, use --initial_peers {Address}")]
    public static partial void Running(ILogger logger, string address);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Full list of visible multiaddresses: {Addresses}")]
    public static partial void VisibleAddresses(ILogger logger, string addresses);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "{Count} DHT nodes (including this one) are in the local routing table ")]
    public static partial void RoutingTableSize(ILogger logger, int count);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Local storage contains {Count} keys")]
    public static partial void StorageSize(ILogger logger, int count);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Caught signal, shutting down")]
    public static partial void ShuttingDown(ILogger logger);
}
