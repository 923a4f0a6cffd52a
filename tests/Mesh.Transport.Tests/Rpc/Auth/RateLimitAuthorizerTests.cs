using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Tests.Rpc.Messages;

namespace Mesh.Transport.Tests.Rpc.Auth;

public sealed class RateLimitAuthorizerTests
{
    /// <summary>An inner authorizer that accepts everything and counts what reaches it.</summary>
    private sealed class CountingAuthorizer : IRpcAuthorizer
    {
        public int Validated;

        public ValueTask SignRequestAsync(IAuthorizedRequest request, PublicKey? servicePublicKey, RpcContext context) => ValueTask.CompletedTask;

        public ValueTask<RpcAuthResult> ValidateRequestAsync(IAuthorizedRequest request, RpcContext context)
        {
            Interlocked.Increment(ref Validated);
            return ValueTask.FromResult(RpcAuthResult.Success(TestKeys.Client.PublicKey));
        }

        public ValueTask SignResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) => ValueTask.CompletedTask;

        public ValueTask<RpcAuthResult> ValidateResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) =>
            ValueTask.FromResult(RpcAuthResult.Success(TestKeys.Server.PublicKey));
    }

    private static EchoRequest SignedBy(PrivateKey key)
    {
        var request = new EchoRequest();
        new SignatureAuthorizer(key).SignRequestAsync(request, null, default).AsTask().Wait();
        return request;
    }

    private static RpcContext From(PeerId remote) => new("Echo.rpc", TestKeys.Server.PublicKey.PeerId, remote, CancellationToken.None);

    private static async Task<RpcAuthFailure> Validate(RateLimitAuthorizer limiter, EchoRequest request, PeerId? remote = null) =>
        (await limiter.ValidateRequestAsync(request, From(remote ?? TestKeys.Client.PublicKey.PeerId))).Failure;

    [Fact]
    public async Task A_burst_of_20_passes_then_requests_are_limited_until_tokens_refill()
    {
        var clock = TestClock.AtVectorTime();
        var inner = new CountingAuthorizer();
        var limiter = new RateLimitAuthorizer(inner, timeProvider: clock);
        EchoRequest request = SignedBy(TestKeys.Client);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request));
        }
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, request));
        Assert.Equal(20, inner.Validated);

        // 10 per second refill: after 0.5 s five more pass.
        clock.Advance(TimeSpan.FromSeconds(0.5));
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request));
        }
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, request));
    }

    [Fact]
    public async Task Exhausting_the_per_minute_budget_blocks_the_client_for_300_seconds()
    {
        var clock = TestClock.AtVectorTime();
        var limiter = new RateLimitAuthorizer(new CountingAuthorizer(), timeProvider: clock);
        EchoRequest request = SignedBy(TestKeys.Client);
        int allowed = 0;
        int seconds = 0;
        RpcAuthFailure last = RpcAuthFailure.None;
        // 10/s sustained is within the per-second rate, but over the 100/min budget (refilled at 1.67/s).
        while (last != RpcAuthFailure.Blocked && seconds < 60)
        {
            for (int i = 0; i < 10 && last != RpcAuthFailure.Blocked; i++)
            {
                last = await Validate(limiter, request);
                if (last == RpcAuthFailure.None)
                {
                    allowed++;
                }
            }
            clock.Advance(TimeSpan.FromSeconds(1));
            seconds++;
        }
        Assert.Equal(RpcAuthFailure.Blocked, last);
        Assert.InRange(allowed, 100, 100 + (seconds * 100 / 60) + 1);
        Assert.Equal(RpcAuthFailure.Blocked, await Validate(limiter, request));
        clock.Advance(TimeSpan.FromSeconds(298)); // one second already passed since the block began
        Assert.Equal(RpcAuthFailure.Blocked, await Validate(limiter, request));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request));
    }

    [Fact]
    public async Task The_per_hour_budget_applies_too()
    {
        var clock = TestClock.AtVectorTime();
        var limiter = new RateLimitAuthorizer(new CountingAuthorizer(), new RateLimitOptions { RequestsPerMinute = 10_000, BlockDuration = TimeSpan.Zero }, clock);
        EchoRequest request = SignedBy(TestKeys.Client);
        int allowed = 0;
        for (int i = 0; i < 2000; i++)
        {
            if (await Validate(limiter, request) == RpcAuthFailure.None)
            {
                allowed++;
            }
            clock.Advance(TimeSpan.FromSeconds(0.1));
        }
        // 200 s at 10/s: the hourly 1000 plus about 55 refilled at 1000/3600 per second.
        Assert.InRange(allowed, 1000, 1060);
    }

    [Fact]
    public async Task Clients_are_limited_separately_by_their_canonical_key()
    {
        var clock = TestClock.AtVectorTime();
        var limiter = new RateLimitAuthorizer(new CountingAuthorizer(), timeProvider: clock);
        EchoRequest client = SignedBy(TestKeys.Client);
        EchoRequest stranger = SignedBy(TestKeys.Stranger);
        for (int i = 0; i < 20; i++)
        {
            await Validate(limiter, client);
        }
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, client));
        Assert.Equal(RpcAuthFailure.None, await Validate(limiter, stranger));

        // The same key with an OpenSSH comment appended is the same client, not a fresh budget.
        EchoRequest commented = client.Clone();
        commented.Auth.ClientAccessToken.PublicKey = Google.Protobuf.ByteString.CopyFromUtf8(commented.Auth.ClientAccessToken.PublicKey.ToStringUtf8() + " laptop");
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, commented));
        Assert.Equal(2, limiter.TrackedClients);
    }

    [Fact]
    public async Task The_remote_peer_partition_charges_the_connection_not_the_claimed_key()
    {
        var clock = TestClock.AtVectorTime();
        var limiter = new RateLimitAuthorizer(new CountingAuthorizer(), new RateLimitOptions { Partition = RateLimitPartition.RemotePeer }, clock);
        EchoRequest request = SignedBy(TestKeys.Client);
        PeerId mallory = TestKeys.Ed25519("A").PublicKey.PeerId;
        for (int i = 0; i < 20; i++)
        {
            await Validate(limiter, request, mallory);
        }
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, request, mallory));
        // The key's real owner, on its own connection, is unaffected.
        Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request, TestKeys.Client.PublicKey.PeerId));
    }

    [Fact]
    public async Task Requests_without_a_usable_key_are_refused_before_the_inner_authorizer()
    {
        var inner = new CountingAuthorizer();
        var limiter = new RateLimitAuthorizer(inner, timeProvider: TestClock.AtVectorTime());
        Assert.Equal(RpcAuthFailure.MissingAuth, await Validate(limiter, new EchoRequest()));
        EchoRequest bad = SignedBy(TestKeys.Client);
        bad.Auth.ClientAccessToken.PublicKey = Google.Protobuf.ByteString.CopyFromUtf8("ssh-ed25519 not-base64");
        Assert.Equal(RpcAuthFailure.MalformedSignerKey, await Validate(limiter, bad));
        Assert.Equal(0, inner.Validated);
    }

    [Fact]
    public async Task Tracked_clients_are_bounded_and_idle_ones_are_forgotten()
    {
        var clock = TestClock.AtVectorTime();
        var limiter = new RateLimitAuthorizer(new CountingAuthorizer(), new RateLimitOptions { MaxTrackedClients = 3, Partition = RateLimitPartition.RemotePeer }, clock);
        var request = new EchoRequest();
        PeerId[] peers = new[] { "A", "B", "C", "D", "E" }.Select(l => TestKeys.Ed25519(l).PublicKey.PeerId).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request, peers[i]));
        }
        // Full of clients that just spent a token: a fourth is refused.
        Assert.Equal(RpcAuthFailure.RateLimited, await Validate(limiter, request, peers[3]));
        // Once their buckets have refilled they are indistinguishable from new clients and make room.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RpcAuthFailure.None, await Validate(limiter, request, peers[4]));
        Assert.True(limiter.TrackedClients <= 3);
    }

    [Fact]
    public async Task Signing_and_response_validation_pass_through()
    {
        TestClock clock = TestClock.AtVectorTime();
        var client = new RateLimitAuthorizer(new SignatureAuthorizer(TestKeys.Client, new SignatureAuthorizerOptions { TimeProvider = clock }), timeProvider: clock);
        var server = new RateLimitAuthorizer(new SignatureAuthorizer(TestKeys.Server, new SignatureAuthorizerOptions { TimeProvider = clock }), timeProvider: clock);
        var request = new EchoRequest { Text = "x" };
        await client.SignRequestAsync(request, TestKeys.Server.PublicKey, From(TestKeys.Server.PublicKey.PeerId));
        Assert.True((await server.ValidateRequestAsync(request, From(TestKeys.Client.PublicKey.PeerId))).IsSuccess);
        var response = new EchoResponse { Text = "y" };
        await server.SignResponseAsync(response, request, From(TestKeys.Client.PublicKey.PeerId));
        Assert.True((await client.ValidateResponseAsync(response, request, From(TestKeys.Server.PublicKey.PeerId))).IsSuccess);
    }
}
