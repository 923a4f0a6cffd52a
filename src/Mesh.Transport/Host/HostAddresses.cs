using System.Diagnostics.CodeAnalysis;
using System.Net;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Host;

/// <summary>The multiaddr shapes the host dials and listens on: <c>/ip4|ip6/ADDR/tcp/PORT[/p2p/ID]</c>.</summary>
internal static class HostAddresses
{
    /// <summary>The TCP endpoint of <c>/ip4|ip6/…/tcp/N</c>, optionally followed by <c>/p2p/…</c> and nothing else.</summary>
    public static bool TryGetTcpEndPoint(Multiaddr address, [NotNullWhen(true)] out IPEndPoint? endPoint, out PeerId? peer)
    {
        peer = null;
        endPoint = null;
        int index = 0;
        foreach (MultiaddrComponent c in address)
        {
            switch (index)
            {
                case 0 when c.Protocol is MultiaddrProtocol.Ip4 or MultiaddrProtocol.Ip6:
                case 1 when c.Protocol is MultiaddrProtocol.Tcp:
                    break;
                case 2 when c.Protocol is MultiaddrProtocol.P2p:
                    if (!PeerId.TryFromBytes(c.Value, out PeerId id))
                    {
                        return false;
                    }
                    peer = id;
                    break;
                default:
                    return false;
            }
            index++;
        }
        return index >= 2 && address.TryGetIPEndPoint(out endPoint, out MultiaddrProtocol transport) && transport == MultiaddrProtocol.Tcp;
    }

    public static bool TryGetPeerId(Multiaddr address, out PeerId peer)
    {
        peer = default;
        return address.TryGetPeerId(out ReadOnlySpan<byte> multihash) && PeerId.TryFromBytes(multihash, out peer);
    }

    public static Multiaddr WithoutPeerId(Multiaddr address) =>
        address.Contains(MultiaddrProtocol.P2p) ? address.Decapsulate(MultiaddrProtocol.P2p) : address;

    public static Multiaddr WithPeerId(Multiaddr address, PeerId peer) => WithoutPeerId(address).WithPeerId(peer.Bytes);

    public static Multiaddr FromTcpEndPoint(IPEndPoint endPoint) => Multiaddr.FromIPEndPoint(endPoint);

    public static byte[] ToBytes(Multiaddr address) => address.ToArray();

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? address) =>
        Multiaddr.TryRead(bytes, out address);
}
