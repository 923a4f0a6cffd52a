using System.Net;
using System.Net.Sockets;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Routing;

/// <summary>
/// A per-IP-group diversity limit for the routing table (go-libp2p-kad-dht <c>RTPeerDiversityFilter</c>, S/Kademlia's
/// argument against one operator filling a table): at most <see cref="MaxPerGroup"/> table peers whose first public
/// address falls in one group, /16 for IPv4 and /32 for IPv6 (go's groups). Peers whose addresses are all loopback,
/// private or link-local are exempt (they cannot be told apart by network, and a LAN or test swarm would otherwise be
/// capped). Used by the routing table's single owner only; not thread-safe.
/// </summary>
public sealed class KadIpGroupFilter
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<PeerId, string> _groupOf = [];

    public KadIpGroupFilter(int maxPerGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerGroup, 1);
        MaxPerGroup = maxPerGroup;
    }

    public int MaxPerGroup { get; }

    /// <summary>The IP group of the first public IP address among <paramref name="addresses"/>; null when there is none.</summary>
    public static string? GetGroup(IEnumerable<Multiaddr> addresses)
    {
        foreach (Multiaddr address in addresses)
        {
            if (!address.TryGetIPEndPoint(out IPEndPoint? endPoint))
            {
                continue;
            }
            IPAddress ip = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
            if (!IsPublic(ip))
            {
                continue;
            }
            byte[] bytes = ip.GetAddressBytes();
            return ip.AddressFamily == AddressFamily.InterNetwork
                ? $"ip4/{bytes[0]}.{bytes[1]}"
                : "ip6/" + Convert.ToHexStringLower(bytes.AsSpan(0, 4));
        }
        return null;
    }

    /// <summary>Whether <paramref name="peer"/> (not yet counted) may join the table.</summary>
    public bool Allows(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        if (_groupOf.ContainsKey(peer))
        {
            return true;
        }
        string? group = GetGroup(addresses);
        return group is null || _counts.GetValueOrDefault(group) < MaxPerGroup;
    }

    /// <summary>Counts <paramref name="peer"/> as a table member.</summary>
    public void Added(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        if (_groupOf.ContainsKey(peer) || GetGroup(addresses) is not { } group)
        {
            return;
        }
        _groupOf[peer] = group;
        _counts[group] = _counts.GetValueOrDefault(group) + 1;
    }

    /// <summary>Stops counting <paramref name="peer"/>.</summary>
    public void Removed(PeerId peer)
    {
        if (_groupOf.Remove(peer, out string? group) && --_counts[group] == 0)
        {
            _counts.Remove(group);
        }
    }

    private static bool IsPublic(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
        {
            return false;
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            byte[] b = ip.GetAddressBytes();
            return !(b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] == 0 || b[0] >= 224);
        }
        return !(ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.IsIPv6Multicast);
    }
}
