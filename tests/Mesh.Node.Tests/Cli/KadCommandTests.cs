using System.Text.Json;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;

namespace Mesh.Node.Tests.Cli;

/// <summary><c>mesh kad …</c> in-process against two MeshCore DHT server nodes on 127.0.0.1.</summary>
public sealed class KadCommandTests
{
    private static async Task<(MeshHost Host, KadDht Dht)> StartServerAsync(Multiaddr? bootstrap = null)
    {
        var options = new HostOptions();
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(options);
        await host.StartAsync();
        var dht = new KadDht(host, new KadDhtOptions { RefreshInterval = TimeSpan.Zero });
        dht.Validators.Register("v", AcceptAnyValidator.Instance);
        await dht.StartAsync();
        if (bootstrap is not null)
        {
            await dht.BootstrapAsync([bootstrap]);
        }
        return (host, dht);
    }

    [Fact]
    public async Task Put_get_find_peer_provide_and_find_providers()
    {
        (MeshHost h1, KadDht d1) = await StartServerAsync();
        (MeshHost h2, KadDht d2) = await StartServerAsync(h1.GetFullListenAddresses()[0]);
        await using (d1)
        await using (h1)
        await using (d2)
        await using (h2)
        {
            string boot = h1.GetFullListenAddresses()[0].ToString();
            CliRun.Result put = await CliRun.RunAsync("kad", "put", "/v/cli", "hello from the cli", "--bootstrap", boot, "--accept-namespace", "v");
            Assert.True(put.ExitCode == 0, put.ToString());
            Assert.Equal("stored on 2 of 2 nearest peers", put.Output.Trim());

            CliRun.Result get = await CliRun.RunAsync("kad", "get", "/v/cli", "--bootstrap", boot, "--accept-namespace", "v");
            Assert.True(get.ExitCode == 0, get.ToString());
            Assert.Equal("hello from the cli", get.Output.Trim());
            CliRun.Result getJson = await CliRun.RunAsync("kad", "get", "0x" + Convert.ToHexStringLower("/v/cli"u8), "--bootstrap", boot, "--accept-namespace", "v", "--json");
            using (JsonDocument doc = JsonDocument.Parse(getJson.Output))
            {
                Assert.Equal(Convert.ToHexStringLower("hello from the cli"u8), doc.RootElement.GetProperty("value_hex").GetString());
                Assert.Equal(2, doc.RootElement.GetProperty("responses").GetInt32());
            }

            CliRun.Result missing = await CliRun.RunAsync("kad", "get", "/v/nothing", "--bootstrap", boot, "--accept-namespace", "v");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("mesh kad get: no value for /v/nothing", missing.Error);

            CliRun.Result find = await CliRun.RunAsync("kad", "find-peer", h2.PeerId.ToString(), "--bootstrap", boot);
            Assert.True(find.ExitCode == 0, find.ToString());
            Assert.Contains(h2.ListenAddresses[0].ToString(), find.Output);

            string cid = Cid.FormatV1(Cid.RawCodec, Multihash.ComputeSha2_256("cli content"u8));
            CliRun.Result provide = await CliRun.RunAsync("kad", "provide", cid, "--bootstrap", boot, "--json");
            Assert.True(provide.ExitCode == 0, provide.ToString());
            using (JsonDocument doc = JsonDocument.Parse(provide.Output))
            {
                Assert.Equal(2, doc.RootElement.GetProperty("succeeded").GetInt32());
            }
            // The providing CLI node is gone, but its record stays on the servers.
            CliRun.Result providers = await CliRun.RunAsync("kad", "find-providers", "0x" + Convert.ToHexStringLower(Multihash.ComputeSha2_256("cli content"u8)), "--bootstrap", boot);
            Assert.True(providers.ExitCode == 0, providers.ToString());
            Assert.Single(providers.Output.Trim().Split('\n'));
        }
    }

    [Theory]
    [InlineData("kad", "find-peer", "not-a-peer", "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD6cYP4zo3PgjFREqq2SzHu4iTG2nM7diYM2hQGnw8deS")]
    [InlineData("kad", "get", "0xzz", "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD6cYP4zo3PgjFREqq2SzHu4iTG2nM7diYM2hQGnw8deS")]
    [InlineData("kad", "provide", "not-a-cid", "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD6cYP4zo3PgjFREqq2SzHu4iTG2nM7diYM2hQGnw8deS")]
    [InlineData("kad", "get", "/v/x", "--bootstrap", "/ip4/127.0.0.1/tcp/1")]
    [InlineData("kad", "get", "/v/x", "--bootstrap", "/not/a/multiaddr")]
    [InlineData("kad", "get", "/v/x")]
    [InlineData("kad", "put", "/v/x")]
    public async Task Bad_command_lines_are_usage_errors(params string[] args)
    {
        CliRun.Result r = await CliRun.RunAsync(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.StartsWith("mesh kad", r.Error);
    }

    [Fact]
    public async Task Unreachable_bootstrap_peers_fail_with_one_line()
    {
        CliRun.Result r = await CliRun.RunAsync("kad", "get", "/pk/x", "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD6cYP4zo3PgjFREqq2SzHu4iTG2nM7diYM2hQGnw8deS", "--timeout", "20");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("mesh kad get: none of the 1 bootstrap peers", r.Error);
    }
}
