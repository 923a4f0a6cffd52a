using System.IO.Pipelines;
using Mesh.TestKit;
using Mesh.Transport.Protocols.Ping;

namespace Mesh.Transport.Tests.Protocols.Ping;

public sealed class PingProtocolTests
{
    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Fact]
    public async Task Several_pings_loop_on_one_stream_and_the_responder_closes_after_the_dialer()
    {
        CancellationToken ct = Timeout();
        var (dialer, listener) = DuplexPipePair.Create();
        Task responder = PingProtocol.RespondAsync(listener, ct);
        for (int i = 0; i < 5; i++)
        {
            TimeSpan rtt = await PingProtocol.PingOnceAsync(dialer, ct);
            Assert.True(rtt >= TimeSpan.Zero);
        }
        await dialer.Output.CompleteAsync();
        await responder.WaitAsync(ct);
        ReadResult end = await dialer.Input.ReadAsync(ct);
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
    }

    [Fact]
    public async Task Pings_that_arrive_together_are_all_echoed_and_a_partial_one_waits()
    {
        CancellationToken ct = Timeout();
        var (dialer, listener) = DuplexPipePair.Create();
        Task responder = PingProtocol.RespondAsync(listener, ct);
        byte[] three = new byte[3 * 32 + 5];
        Random.Shared.NextBytes(three);
        await dialer.Output.WriteAsync(three, ct);
        ReadResult r = await dialer.Input.ReadAtLeastAsync(96, ct);
        Assert.Equal(three.AsSpan(0, 96).ToArray(), System.Buffers.BuffersExtensions.ToArray(r.Buffer.Slice(0, 96)));
        dialer.Input.AdvanceTo(r.Buffer.End);
        await dialer.Output.CompleteAsync();
        await responder.WaitAsync(ct);
    }

    [Fact]
    public async Task A_wrong_echo_is_a_PingException()
    {
        CancellationToken ct = Timeout();
        var (dialer, listener) = DuplexPipePair.Create();
        Task liar = Task.Run(async () =>
        {
            ReadResult r = await listener.Input.ReadAtLeastAsync(32, ct);
            listener.Input.AdvanceTo(r.Buffer.End);
            await listener.Output.WriteAsync(new byte[32], ct);
        }, ct);
        await Assert.ThrowsAsync<PingException>(async () => await PingProtocol.PingOnceAsync(dialer, ct));
        await liar;
    }

    [Fact]
    public async Task A_closed_responder_is_a_PingException()
    {
        CancellationToken ct = Timeout();
        var (dialer, listener) = DuplexPipePair.Create();
        await listener.Output.CompleteAsync();
        await Assert.ThrowsAsync<PingException>(async () => await PingProtocol.PingOnceAsync(dialer, ct));
    }
}
