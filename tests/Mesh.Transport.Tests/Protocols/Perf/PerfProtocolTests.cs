using System.Buffers.Binary;
using Mesh.TestKit;
using Mesh.Transport.Protocols.Perf;

namespace Mesh.Transport.Tests.Protocols.Perf;

public sealed class PerfProtocolTests
{
    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 0UL)]
    [InlineData(0UL, 1UL)]
    [InlineData(3_000_001UL, 5_000_003UL)]
    public async Task Client_and_server_move_exactly_the_requested_bytes(ulong upload, ulong download)
    {
        CancellationToken ct = Timeout();
        var (client, server) = DuplexPipePair.Create();
        Task serving = PerfProtocol.RespondAsync(server, ct);
        var progress = new PerfProgress();
        PerfResult result = await PerfProtocol.RunClientAsync(client, upload, download, progress, ct);
        await serving;
        Assert.Equal(upload, result.UploadBytes);
        Assert.Equal(download, result.DownloadBytes);
        Assert.Equal((long)upload, progress.Uploaded);
        Assert.Equal((long)download, progress.Downloaded);
    }

    [Fact]
    public async Task A_short_download_is_a_PerfException()
    {
        CancellationToken ct = Timeout();
        var (client, server) = DuplexPipePair.Create();
        Task cheat = Task.Run(async () =>
        {
            while (true)
            {
                var r = await server.Input.ReadAsync(ct);
                server.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted)
                {
                    break;
                }
            }
            await server.Output.WriteAsync(new byte[10], ct);
            await server.Output.CompleteAsync();
        }, ct);
        await Assert.ThrowsAsync<PerfException>(async () => await PerfProtocol.RunClientAsync(client, 5, 100, null, ct));
        await cheat;
    }

    [Fact]
    public async Task A_truncated_header_is_a_PerfException()
    {
        CancellationToken ct = Timeout();
        var (client, server) = DuplexPipePair.Create();
        byte[] header = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(header, 10);
        await client.Output.WriteAsync(header.AsMemory(0, 5), ct);
        await client.Output.CompleteAsync();
        await Assert.ThrowsAsync<PerfException>(() => PerfProtocol.RespondAsync(server, ct));
    }
}
