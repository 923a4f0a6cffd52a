using System.Text.Json.Nodes;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// A swarm of js-libp2p kad-dht nodes (interop/js/peer.mjs <c>kad</c>, each its own process) and MeshCore DHT nodes,
/// all joined through the first js node.
/// </summary>
internal sealed class KadJsSwarm : IAsyncDisposable
{
    public List<JsPeer> Js { get; } = [];

    public List<(MeshHost Host, KadDht Dht)> Ours { get; } = [];

    public static JsonObject Command(string cmd, params (string Key, JsonNode? Value)[] fields)
    {
        var o = new JsonObject { ["cmd"] = cmd };
        foreach ((string k, JsonNode? v) in fields)
        {
            o[k] = v;
        }
        return o;
    }

    public static string HexOf(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static async Task<KadJsSwarm> StartAsync(int js, int ours, CancellationToken ct, Func<int, KadDhtOptions>? options = null)
    {
        var swarm = new KadJsSwarm();
        try
        {
            for (int i = 0; i < js; i++)
            {
                JsPeer peer = await JsPeer.StartAsync(ct, "kad");
                swarm.Js.Add(peer);
                if (i > 0)
                {
                    await peer.RunAsync(Command("kad-bootstrap", ("addrs", new JsonArray(swarm.Js[0].Addresses[0]))), ct);
                }
            }
            for (int i = 0; i < ours; i++)
            {
                var hostOptions = new HostOptions();
                hostOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
                var host = new MeshHost(hostOptions);
                await host.StartAsync(ct);
                var dht = new KadDht(host, options?.Invoke(i) ?? new KadDhtOptions { RefreshInterval = TimeSpan.Zero });
                dht.Validators.Register("v", AcceptAnyValidator.Instance);
                await dht.StartAsync(ct);
                swarm.Ours.Add((host, dht));
                Multiaddr entry = js > 0 ? Multiaddr.Parse(swarm.Js[0].Addresses[0]) : swarm.Ours[0].Host.GetFullListenAddresses()[0];
                if (js > 0 || i > 0)
                {
                    int joined = await dht.BootstrapAsync([entry], ct);
                    Assert.Equal(1, joined);
                }
            }
            // Everyone refreshes once more so early joiners learn of later ones (js: a self lookup fills the table).
            foreach ((_, KadDht dht) in swarm.Ours)
            {
                await dht.RefreshAsync(ct);
            }
            foreach (JsPeer peer in swarm.Js)
            {
                await peer.RunAsync(Command("kad-closest", ("key", HexOf(Mesh.Transport.Identity.PeerId.Parse(peer.PeerId).Bytes))), ct);
            }
            return swarm;
        }
        catch
        {
            await swarm.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((MeshHost host, KadDht dht) in Ours)
        {
            await dht.DisposeAsync();
            await host.DisposeAsync();
        }
        foreach (JsPeer peer in Js)
        {
            await peer.DisposeAsync();
        }
    }
}
