using System.Collections.Immutable;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Host;

/// <summary>
/// The host's memory of peers: addresses (from dials, identify and callers) and identify results. Bounded in peers and
/// in addresses per peer; when full, the least recently updated peer without a connection is forgotten. Thread-safe:
/// writers take a short lock, readers get immutable <see cref="PeerInfo"/> snapshots.
/// </summary>
public sealed class PeerStore
{
    private readonly Dictionary<PeerId, PeerInfo> _peers = []; // lock: itself
    private readonly int _maxPeers;
    private readonly int _maxAddressesPerPeer;
    private readonly Func<PeerId, bool> _isConnected;

    internal PeerStore(int maxPeers, int maxAddressesPerPeer, Func<PeerId, bool> isConnected)
    {
        _maxPeers = maxPeers;
        _maxAddressesPerPeer = maxAddressesPerPeer;
        _isConnected = isConnected;
    }

    /// <summary>Number of peers known.</summary>
    public int Count
    {
        get
        {
            lock (_peers)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Fires after a peer's entry changed (outside the store's lock).</summary>
    public event Action<PeerInfo>? Updated;

    /// <summary>The peer's entry, or null.</summary>
    public PeerInfo? Get(PeerId peer)
    {
        lock (_peers)
        {
            return _peers.GetValueOrDefault(peer);
        }
    }

    /// <summary>Known addresses of the peer (empty when unknown).</summary>
    public ImmutableArray<Multiaddr> GetAddresses(PeerId peer) => Get(peer)?.Addresses ?? [];

    /// <summary>All known peers (a snapshot).</summary>
    public IReadOnlyList<PeerInfo> GetAll()
    {
        lock (_peers)
        {
            return [.. _peers.Values];
        }
    }

    /// <summary>Peers whose identify advertised <paramref name="protocol"/>.</summary>
    public IReadOnlyList<PeerId> GetPeersSupporting(string protocol)
    {
        var result = new List<PeerId>();
        lock (_peers)
        {
            foreach (PeerInfo info in _peers.Values)
            {
                if (info.SupportsProtocol(protocol))
                {
                    result.Add(info.PeerId);
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Remembers dialable addresses for a peer (a trailing <c>/p2p/&lt;peer&gt;</c> is stripped; an address naming a
    /// different peer is ignored). New addresses go first; past the per-peer bound the oldest are dropped.
    /// </summary>
    public void AddAddresses(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var fresh = new List<Multiaddr>();
        foreach (Multiaddr a in addresses)
        {
            if (HostAddresses.TryGetPeerId(a, out PeerId named) && named != peer)
            {
                continue;
            }
            Multiaddr bare = HostAddresses.WithoutPeerId(a);
            if (!fresh.Contains(bare))
            {
                fresh.Add(bare);
            }
        }
        if (fresh.Count == 0)
        {
            return;
        }
        Update(peer, info =>
        {
            ImmutableArray<Multiaddr>.Builder merged = ImmutableArray.CreateBuilder<Multiaddr>(_maxAddressesPerPeer);
            foreach (Multiaddr a in fresh)
            {
                if (merged.Count < _maxAddressesPerPeer)
                {
                    merged.Add(a);
                }
            }
            foreach (Multiaddr a in info.Addresses)
            {
                if (merged.Count < _maxAddressesPerPeer && !merged.Contains(a))
                {
                    merged.Add(a);
                }
            }
            return info with { Addresses = merged.DrainToImmutable() };
        });
    }

    /// <summary>Forgets a peer entirely.</summary>
    public bool Remove(PeerId peer)
    {
        lock (_peers)
        {
            return _peers.Remove(peer);
        }
    }

    internal void Update(PeerId peer, Func<PeerInfo, PeerInfo> change)
    {
        PeerInfo updated;
        lock (_peers)
        {
            PeerInfo current = _peers.GetValueOrDefault(peer) ?? new PeerInfo { PeerId = peer };
            updated = change(current) with { UpdatedAt = DateTimeOffset.UtcNow };
            if (!_peers.ContainsKey(peer) && _peers.Count >= _maxPeers)
            {
                EvictOne();
            }
            _peers[peer] = updated;
        }
        Updated?.Invoke(updated);
    }

    // Caller holds the lock. O(n), only when the store is full.
    private void EvictOne()
    {
        PeerId? victim = null;
        DateTimeOffset oldest = DateTimeOffset.MaxValue;
        foreach (PeerInfo info in _peers.Values)
        {
            if (info.UpdatedAt < oldest && !_isConnected(info.PeerId))
            {
                oldest = info.UpdatedAt;
                victim = info.PeerId;
            }
        }
        if (victim is { } v)
        {
            _peers.Remove(v);
        }
        else
        {
            // Every known peer is connected: forget the oldest anyway so the bound holds.
            PeerInfo first = _peers.Values.MinBy(p => p.UpdatedAt)!;
            _peers.Remove(first.PeerId);
        }
    }
}
