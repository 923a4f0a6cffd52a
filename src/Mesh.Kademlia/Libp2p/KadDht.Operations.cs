using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p.Lookup;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Providers;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p;

// The DHT operations of the public API (libp2p kad-dht spec "Peer routing", "Value storage and retrieval",
// "Content provider advertisement and discovery").
public sealed partial class KadDht
{
    /// <summary>The k peers nearest to SHA-256(<paramref name="key"/>) that answered a FIND_NODE lookup.</summary>
    public async Task<IReadOnlyList<PeerId>> GetClosestPeersAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        using CancellationTokenSource query = QueryToken(cancellationToken);
        KadLookupResult result = await LookupClosestAsync(key, query.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return result.Closest;
    }

    private Task<KadLookupResult> LookupClosestAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        KadKey256 target = KadKey256.Hash(key.Span);
        var request = new KadMessage { Type = KadMessageType.FindNode, Key = key };
        return NewLookup(target, async (peer, ct) =>
        {
            KadMessage response = await _client.SendRequestAsync(peer, request, ct).ConfigureAwait(false);
            return new KadLookupReply(Learn(response.CloserPeers));
        }).RunAsync(Seeds(target), cancellationToken);
    }

    /// <summary>
    /// Finds the addresses of <paramref name="peer"/>: from a live connection or the peer store when known, otherwise
    /// by a FIND_NODE lookup that stops as soon as a reply names the peer with addresses. Null when not found.
    /// </summary>
    public async Task<KadPeerInfo?> FindPeerAsync(PeerId peer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        if (Host.IsConnected(peer) && Host.PeerStore.GetAddresses(peer) is { IsEmpty: false } known)
        {
            return new KadPeerInfo(peer, known);
        }
        using CancellationTokenSource query = QueryToken(cancellationToken);
        KadKey256 target = KadKey256.Hash(peer.Bytes);
        var request = new KadMessage { Type = KadMessageType.FindNode, Key = peer.ToByteArray() };
        IReadOnlyList<Multiaddr>? found = null;
        KadLookupResult result = await NewLookup(target, async (asked, ct) =>
        {
            KadMessage response = await _client.SendRequestAsync(asked, request, ct).ConfigureAwait(false);
            List<PeerId> closer = Learn(response.CloserPeers);
            KadPeer? match = response.CloserPeers.FirstOrDefault(p => p.Id == peer && p.Addresses.Count > 0);
            if (match is not null)
            {
                found ??= match.Addresses;
            }
            return new KadLookupReply(closer, Stop: match is not null || asked == peer);
        }).RunAsync(Seeds(target), query.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (found is null && result.Closest.Contains(peer))
        {
            found = Host.PeerStore.GetAddresses(peer);
        }
        return found is { Count: > 0 } ? new KadPeerInfo(peer, found) : null;
    }

    /// <summary>
    /// Looks a value up (GET_VALUE) and returns the best valid one, or null when nobody holds one. The local value, if
    /// any, counts as one response; with <paramref name="quorum"/> n &gt; 0 the lookup stops after n valid values, with
    /// 0 it runs to the end (go's default). Afterwards the best value is sent (PUT_VALUE) to the nearest peers that
    /// answered with an older value or none (libp2p kad-dht spec "Value retrieval": correcting outdated peers).
    /// </summary>
    public async Task<KadValueResult?> GetValueAsync(ReadOnlyMemory<byte> key, int? quorum = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        int needed = quorum ?? Options.DefaultQuorum;
        ArgumentOutOfRangeException.ThrowIfNegative(needed, nameof(quorum));
        if (!Validators.TryGetValidator(key.Span, out _))
        {
            throw new KadRecordRejectedException($"no validator for the namespace of {KadRecordKey.Format(key.Span)}");
        }
        var values = new List<(PeerId From, byte[] Value)>();
        var lockValues = new Lock();
        bool localHeld = false;
        if (Records.TryGet(key.Span, out KadRecordStore.StoredRecord local) && Validators.Validate(key.Span, local.Value.Span, out _))
        {
            values.Add((Host.PeerId, local.Value.ToArray()));
            localHeld = true;
        }
        var withoutValue = new HashSet<PeerId>();
        if (needed == 0 || values.Count < needed)
        {
            using CancellationTokenSource query = QueryToken(cancellationToken);
            KadKey256 target = KadKey256.Hash(key.Span);
            var request = new KadMessage { Type = KadMessageType.GetValue, Key = key };
            KadLookupResult result = await NewLookup(target, async (peer, ct) =>
            {
                KadMessage response = await _client.SendRequestAsync(peer, request, ct).ConfigureAwait(false);
                bool stop = false;
                lock (lockValues)
                {
                    if (needed > 0 && values.Count >= needed)
                    {
                        // Answers still in flight when the quorum was reached are not counted.
                        stop = true;
                    }
                    else if (response.Record is { } record && AcceptReceived(peer, key.Span, record))
                    {
                        values.Add((peer, record.Value.ToArray()));
                        stop = needed > 0 && values.Count >= needed;
                    }
                    else
                    {
                        withoutValue.Add(peer);
                    }
                }
                return new KadLookupReply(Learn(response.CloserPeers), stop);
            }).RunAsync(Seeds(target), query.Token).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            withoutValue.IntersectWith(result.Closest);
        }
        if (values.Count == 0)
        {
            return null;
        }
        int best = Validators.Select(key.Span, [.. values.Select(v => (ReadOnlyMemory<byte>)v.Value)]);
        byte[] bestValue = values[best].Value;
        var from = new List<PeerId>();
        var outdated = new List<PeerId>(withoutValue);
        foreach ((PeerId peer, byte[] value) in values)
        {
            if (value.AsSpan().SequenceEqual(bestValue))
            {
                from.Add(peer);
            }
            else if (peer != Host.PeerId)
            {
                outdated.Add(peer);
            }
        }
        if (localHeld && !from.Contains(Host.PeerId))
        {
            Records.Put(key.Span, bestValue);
        }
        int corrected = outdated.Count == 0 ? 0 : await PutToPeersAsync(outdated, key, bestValue, cancellationToken).ConfigureAwait(false);
        return new KadValueResult(bestValue, values.Count, from, corrected);
    }

    private bool AcceptReceived(PeerId peer, ReadOnlySpan<byte> key, KadRecord record)
    {
        if (!record.Key.Span.SequenceEqual(key))
        {
            KadLog.ReceivedValueRejected(_logger, peer.ToString(), KadRecordKey.Format(key), "the record is for another key");
            return false;
        }
        if (!Validators.Validate(key, record.Value.Span, out string? reason))
        {
            KadLog.ReceivedValueRejected(_logger, peer.ToString(), KadRecordKey.Format(key), reason);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Stores a value locally and on the k nearest peers (PUT_VALUE). The value must be valid for its namespace and not
    /// worse than one this node holds.
    /// </summary>
    /// <exception cref="KadRecordRejectedException">The value is invalid, too large, or older than the one held.</exception>
    public async Task<KadPublishResult> PutValueAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        KadPutResult local = Records.Put(key.Span, value.Span, out string? reason);
        if (local != KadPutResult.Stored)
        {
            throw new KadRecordRejectedException($"cannot put {KadRecordKey.Format(key.Span)}: {local} ({reason})");
        }
        IReadOnlyList<PeerId> closest = await GetClosestPeersAsync(key, cancellationToken).ConfigureAwait(false);
        int succeeded = await PutToPeersAsync(closest, key, value, cancellationToken).ConfigureAwait(false);
        return new KadPublishResult(closest, succeeded);
    }

    private async Task<int> PutToPeersAsync(IReadOnlyList<PeerId> peers, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var request = new KadMessage
        {
            Type = KadMessageType.PutValue,
            Key = key,
            Record = new KadRecord(key, value),
        };
        return await ForEachPeerAsync(peers, async (peer, ct) =>
        {
            KadMessage echo = await _client.SendRequestAsync(peer, request, ct).ConfigureAwait(false);
            // The spec's response is the echo of the request; a peer that stored something else did not store ours.
            return echo.Record is { } r && r.Value.Span.SequenceEqual(value.Span);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Announces that this node provides the content under the multihash <paramref name="key"/>: a local provider
    /// record, then ADD_PROVIDER (with our listen addresses) to the k nearest peers; republished every
    /// <see cref="KadDhtOptions.ProviderRepublishInterval"/> while the DHT runs.
    /// </summary>
    /// <exception cref="KadRecordRejectedException">The key is not a multihash.</exception>
    public async Task<KadPublishResult> ProvideAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        if (!Multihash.IsValid(key.Span))
        {
            throw new KadRecordRejectedException("a provider key is a multihash (libp2p kad-dht spec: keys are multihashes, not CIDs)");
        }
        Multiaddr[] addresses = [.. Host.AdvertisedAddresses];
        Providers.Add(key.Span, Host.PeerId, addresses);
        lock (_providedLock)
        {
            _provided[Convert.ToHexStringLower(key.Span)] = key.ToArray();
        }
        IReadOnlyList<PeerId> closest = await GetClosestPeersAsync(key, cancellationToken).ConfigureAwait(false);
        var message = new KadMessage
        {
            Type = KadMessageType.AddProvider,
            Key = key,
            ProviderPeers = [new KadPeer(Host.PeerId, addresses)],
        };
        int succeeded = await ForEachPeerAsync(closest, async (peer, ct) =>
        {
            await _client.SendMessageAsync(peer, message, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return new KadPublishResult(closest, succeeded);
    }

    /// <summary>Stops republishing <paramref name="key"/> (its records elsewhere expire after 48 h).</summary>
    public bool StopProviding(ReadOnlyMemory<byte> key)
    {
        lock (_providedLock)
        {
            return _provided.Remove(Convert.ToHexStringLower(key.Span));
        }
    }

    /// <summary>
    /// Up to <paramref name="maxProviders"/> (default k) providers of the multihash <paramref name="key"/>: the local
    /// records first, then a GET_PROVIDERS lookup that stops once enough are known.
    /// </summary>
    public async Task<IReadOnlyList<KadPeerInfo>> FindProvidersAsync(ReadOnlyMemory<byte> key, int? maxProviders = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        int max = maxProviders ?? Options.DefaultMaxProviders;
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxProviders));
        if (!Multihash.IsValid(key.Span))
        {
            throw new KadRecordRejectedException("a provider key is a multihash");
        }
        var found = new Dictionary<PeerId, KadPeerInfo>();
        var order = new List<PeerId>();
        var gate = new Lock();
        void Add(PeerId peer, IReadOnlyList<Multiaddr> addresses)
        {
            if (order.Count >= max)
            {
                return;
            }
            if (found.TryGetValue(peer, out KadPeerInfo? known))
            {
                if (known.Addresses.Count == 0 && addresses.Count > 0)
                {
                    found[peer] = known with { Addresses = addresses };
                }
                return;
            }
            found[peer] = new KadPeerInfo(peer, addresses);
            order.Add(peer);
        }
        foreach (KadProviderStore.ProviderRecord p in Providers.Get(key.Span))
        {
            Add(p.Provider, p.Provider == Host.PeerId ? [.. Host.AdvertisedAddresses] : p.Addresses.Count > 0 ? p.Addresses : [.. Host.PeerStore.GetAddresses(p.Provider)]);
        }
        if (order.Count < max)
        {
            using CancellationTokenSource query = QueryToken(cancellationToken);
            KadKey256 target = KadKey256.Hash(key.Span);
            var request = new KadMessage { Type = KadMessageType.GetProviders, Key = key };
            await NewLookup(target, async (peer, ct) =>
            {
                KadMessage response = await _client.SendRequestAsync(peer, request, ct).ConfigureAwait(false);
                Learn(response.ProviderPeers);
                bool enough;
                lock (gate)
                {
                    foreach (KadPeer provider in response.ProviderPeers)
                    {
                        Add(provider.Id, [.. provider.Addresses.Select(a => a.Decapsulate(MultiaddrProtocol.P2p))]);
                    }
                    enough = order.Count >= max;
                }
                return new KadLookupReply(Learn(response.CloserPeers), enough);
            }).RunAsync(Seeds(target), query.Token).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        lock (gate)
        {
            return [.. order.Select(p => found[p])];
        }
    }

    // Runs an RPC against each peer, α at a time; returns how many succeeded. Failures are the peer's.
    private async Task<int> ForEachPeerAsync(IReadOnlyList<PeerId> peers, Func<PeerId, CancellationToken, ValueTask<bool>> rpc, CancellationToken cancellationToken)
    {
        int succeeded = 0;
        using var gate = new SemaphoreSlim(Options.Alpha);
        async Task One(PeerId peer)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (await rpc(peer, cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref succeeded);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                KadLog.RequestFailed(_logger, "store", peer.ToString(), ex.Message);
            }
            finally
            {
                gate.Release();
            }
        }
        await Task.WhenAll(peers.Select(One)).ConfigureAwait(false);
        return succeeded;
    }

    private CancellationTokenSource QueryToken(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        cts.CancelAfter(Options.QueryTimeout);
        return cts;
    }
}
