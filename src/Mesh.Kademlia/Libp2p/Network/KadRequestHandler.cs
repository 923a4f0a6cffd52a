using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Providers;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Libp2p.Network;

/// <summary>
/// The answering side of <c>/ipfs/kad/1.0.0</c> (libp2p kad-dht spec "RPC messages", per-type table in
/// libp2p-specs.md §2i), registered only in server mode. One inbound stream may carry several requests, answered in
/// order; the stream ends when the peer closes its side or stays idle for the inbound timeout. Anything the protocol
/// forbids throws <see cref="KadProtocolException"/>, which makes the host reset that stream only.
/// </summary>
internal sealed class KadRequestHandler
{
    private readonly KadDht _dht;
    private readonly KadDhtOptions _options;
    private readonly ILogger _logger;

    public KadRequestHandler(KadDht dht, ILogger logger)
    {
        _dht = dht;
        _options = dht.Options;
        _logger = logger;
    }

    public async Task HandleAsync(MeshStream stream, CancellationToken cancellationToken)
    {
        PeerId sender = stream.RemotePeer;
        try
        {
            while (true)
            {
                KadMessage? request;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(_options.InboundIdleTimeout);
                    try
                    {
                        request = await KadStreamIO.ReadAsync(stream.Input, _options.MaxMessageSize, idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        return; // idle: close the stream gracefully
                    }
                }
                if (request is null)
                {
                    return;
                }
                KadMessage? response = Handle(sender, request);
                if (response is not null)
                {
                    await KadStreamIO.WriteAsync(stream.Output, response, _options.MaxMessageSize, cancellationToken).ConfigureAwait(false);
                }
                _dht.OnInboundRequest(sender);
            }
        }
        catch (KadProtocolException ex)
        {
            KadLog.InboundRejected(_logger, sender.ToString(), ex.Message);
            throw;
        }
    }

    /// <summary>The response to one request (null: none is sent). Throws for requests the protocol forbids.</summary>
    internal KadMessage? Handle(PeerId sender, KadMessage request) => request.Type switch
    {
        KadMessageType.FindNode => FindNode(sender, request),
        KadMessageType.GetValue => GetValue(sender, request),
        KadMessageType.PutValue => PutValue(sender, request),
        KadMessageType.GetProviders => GetProviders(sender, request),
        KadMessageType.AddProvider => AddProvider(sender, request),
        KadMessageType.Ping => request, // deprecated; answered by echo as js does
        _ => throw new KadProtocolException(KadMessageError.UnknownMessageType, $"unknown message type {request.Type}"),
    };

    private KadMessage FindNode(PeerId sender, KadMessage request)
    {
        RequireKey(request, "FIND_NODE");
        var closer = new List<KadPeer>(_dht.CloserPeers(request.Key.Span, sender));
        // Asked for ourselves: include our own record (js and go do), so a lookup for us ends here.
        if (request.Key.Span.SequenceEqual(_dht.Host.PeerId.Bytes))
        {
            closer.Insert(0, new KadPeer(_dht.Host.PeerId, [.. _dht.Host.AdvertisedAddresses]));
        }
        return new KadMessage { Type = KadMessageType.FindNode, ClusterLevelRaw = request.ClusterLevelRaw, CloserPeers = closer };
    }

    private KadMessage GetValue(PeerId sender, KadMessage request)
    {
        RequireKey(request, "GET_VALUE");
        ReadOnlySpan<byte> key = request.Key.Span;
        KadRecord? record = null;
        if (_dht.Records.TryGet(key, out KadRecordStore.StoredRecord stored))
        {
            record = new KadRecord(stored.Key, stored.Value, Rfc3339.Format(stored.Received));
        }
        else if (_dht.TryGetPublicKeyRecord(key, out byte[]? publicKey))
        {
            // /pk/<peer>: answer from what the peer store verified (js does the same from its key book).
            record = new KadRecord(request.Key, publicKey, Rfc3339.Format(_options.TimeProvider.GetUtcNow()));
        }
        return new KadMessage
        {
            Type = KadMessageType.GetValue,
            ClusterLevelRaw = request.ClusterLevelRaw,
            Key = request.Key,
            Record = record,
            CloserPeers = _dht.CloserPeers(key, sender),
        };
    }

    private KadMessage PutValue(PeerId sender, KadMessage request)
    {
        if (request.Record is not { } record)
        {
            throw new KadProtocolException(KadMessageError.None, "PUT_VALUE without a record");
        }
        // Spec: Message.key must equal Record.key; a record slipped in under another key would dodge validation.
        if (!request.Key.Span.SequenceEqual(record.Key.Span))
        {
            throw new KadProtocolException(KadMessageError.None, "PUT_VALUE whose record key differs from the message key");
        }
        KadPutResult result = _dht.Records.Put(record.Key.Span, record.Value.Span, out string? reason);
        if (result != KadPutResult.Stored)
        {
            KadLog.PutRefused(_logger, KadRecordKey.Format(record.Key.Span), sender.ToString(), result.ToString(), reason);
            // go answers an invalid or older record with an error (the stream is reset); so do we.
            throw new KadProtocolException(KadMessageError.None, $"PUT_VALUE refused: {result} ({reason})");
        }
        return request;
    }

    private KadMessage GetProviders(PeerId sender, KadMessage request)
    {
        RequireMultihashKey(request, "GET_PROVIDERS");
        var providers = new List<KadPeer>();
        foreach (KadProviderStore.ProviderRecord p in _dht.Providers.Get(request.Key.Span))
        {
            IReadOnlyList<Multiaddr> addresses = p.Provider == _dht.Host.PeerId
                ? [.. _dht.Host.AdvertisedAddresses]
                : p.Addresses.Count > 0 ? p.Addresses : [.. _dht.Host.PeerStore.GetAddresses(p.Provider)];
            providers.Add(new KadPeer(p.Provider, addresses));
        }
        return new KadMessage
        {
            Type = KadMessageType.GetProviders,
            ClusterLevelRaw = request.ClusterLevelRaw,
            Key = request.Key,
            CloserPeers = _dht.CloserPeers(request.Key.Span, sender),
            ProviderPeers = providers,
        };
    }

    private KadMessage? AddProvider(PeerId sender, KadMessage request)
    {
        RequireMultihashKey(request, "ADD_PROVIDER");
        foreach (KadPeer provider in request.ProviderPeers)
        {
            // Spec: only entries naming the sender are stored; nobody may announce someone else.
            if (provider.Id != sender)
            {
                KadLog.ForeignProviderIgnored(_logger, sender.ToString(), provider.Id.ToString());
                continue;
            }
            // go and js ignore an announcement without addresses (nobody could reach the provider from it).
            if (provider.Addresses.Count == 0)
            {
                continue;
            }
            // Stored without the trailing /p2p/<sender> js appends (the peer id travels beside them).
            Multiaddr[] addresses = [.. provider.Addresses.Select(a => a.Decapsulate(MultiaddrProtocol.P2p))];
            _dht.Providers.Add(request.Key.Span, sender, addresses);
            _dht.Host.PeerStore.AddAddresses(sender, addresses);
        }
        return null;
    }

    private static void RequireKey(KadMessage request, string type)
    {
        if (request.Key.IsEmpty)
        {
            throw new KadProtocolException(KadMessageError.None, $"{type} without a key");
        }
    }

    private static void RequireMultihashKey(KadMessage request, string type)
    {
        RequireKey(request, type);
        if (!Multihash.IsValid(request.Key.Span))
        {
            throw new KadProtocolException(KadMessageError.None, $"{type} key is not a multihash");
        }
    }
}
