using System.Buffers;
using Google.Protobuf;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Unary;
using Mesh.Transport.Tests.Rpc.Messages;
using Mesh.Transport.Tests.Rpc.Unary;

namespace Mesh.Transport.Tests.Rpc.Auth;

/// <summary>Authorizers plugged into the servicer and the stub, end to end over yamux streams.</summary>
public abstract class AuthorizedCallTests : RpcTransportTests
{
    private const string Echo = "EchoProtocol.rpc_echo";
    private const string Count = "EchoProtocol.rpc_count";

    private static readonly RpcMethod<EchoRequest, EchoResponse> EchoMethod = RpcMethod.Unary(Echo, EchoRequest.Parser, EchoResponse.Parser);
    private static readonly RpcMethod<EchoRequest, EchoResponse> CountMethod = RpcMethod.UnaryStream(Count, EchoRequest.Parser, EchoResponse.Parser);

    private static SignatureAuthorizer Authorizer(PrivateKey key, TimeProvider? clock = null, bool bind = false, IRpcSignerPolicy? policy = null) =>
        new(key, new SignatureAuthorizerOptions { TimeProvider = clock ?? TimeProvider.System, RequireSignerIsRemotePeer = bind, SignerPolicy = policy });

    private static ValueTask<EchoResponse> EchoAsync(EchoRequest request, RpcContext context) => ValueTask.FromResult(new EchoResponse { Text = request.Text });

    private static async IAsyncEnumerable<EchoResponse> CountAsync(EchoRequest request, RpcContext context)
    {
        for (int i = 0; i < request.Count; i++)
        {
            await Task.Yield();
            yield return new EchoResponse { Index = i };
        }
    }

    private async Task<RpcPair> ServedAsync(IRpcAuthorizer serverAuthorizer)
    {
        RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary(EchoMethod, EchoAsync, serverAuthorizer);
        pair.Servicer.AddUnaryStream(CountMethod, CountAsync, serverAuthorizer);
        return pair;
    }

    [Fact]
    public async Task A_signed_call_is_validated_served_signed_and_checked()
    {
        SignatureAuthorizer server = Authorizer(TestKeys.Server, bind: true);
        await using RpcPair pair = await ServedAsync(server);
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, bind: true), servicePublicKey: TestKeys.Server.PublicKey);
        EchoResponse response = await stub.CallUnaryAsync(EchoMethod, new EchoRequest { Text = "signed" }, TestTimeout.Token());
        Assert.Equal("signed", response.Text);
        Assert.False(response.Auth.Signature.IsEmpty);
        Assert.Equal(1, server.RememberedNonces);
    }

    [Fact]
    public async Task A_replayed_request_is_rejected_with_pythons_reply()
    {
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server));
        var request = new EchoRequest { Text = "once" };
        await Authorizer(TestKeys.Client).SignRequestAsync(request, null, default);
        byte[] signed = request.ToByteArray();

        (UnaryEnvelope first, _) = await UnaryCallTests.RawCallAsync(pair, Echo, Guid.NewGuid(), Echo, signed);
        Assert.Equal(UnaryResultKind.Response, first.ResultKind);
        (UnaryEnvelope replay, _) = await UnaryCallTests.RawCallAsync(pair, Echo, Guid.NewGuid(), Echo, signed);
        Assert.Equal(UnaryResultKind.Error, replay.ResultKind);
        Assert.Equal(RpcWireErrors.RequestRejected, System.Text.Encoding.UTF8.GetString(replay.Result.ToArray()));
    }

    [Fact]
    public async Task A_stale_timestamp_is_rejected()
    {
        var serverClock = new TestClock(DateTimeOffset.UtcNow);
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server, serverClock));
        var lateClient = new TestClock(serverClock.Now - TimeSpan.FromSeconds(61));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, lateClient));
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
        lateClient.Advance(TimeSpan.FromSeconds(2));
        await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());
    }

    [Fact]
    public async Task A_forged_signature_is_rejected()
    {
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: new Tampering(Authorizer(TestKeys.Client)));
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await stub.CallUnaryAsync(EchoMethod, new EchoRequest { Text = "x" }, TestTimeout.Token()));
    }

    [Fact]
    public async Task A_request_addressed_to_another_service_key_is_rejected()
    {
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client), servicePublicKey: TestKeys.Stranger.PublicKey);
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
    }

    [Fact]
    public async Task Peer_binding_decides_whether_a_key_other_than_the_connections_may_sign()
    {
        // The client connects as peer C but signs with key E.
        await using RpcPair unbound = await ServedAsync(Authorizer(TestKeys.Server, bind: false));
        RpcStub stub = unbound.Client.CreateStub(unbound.ServerPeer, authorizer: Authorizer(TestKeys.Stranger));
        await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());

        await using RpcPair bound = await ServedAsync(Authorizer(TestKeys.Server, bind: true));
        stub = bound.Client.CreateStub(bound.ServerPeer, authorizer: Authorizer(TestKeys.Stranger));
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
        stub = bound.Client.CreateStub(bound.ServerPeer, authorizer: Authorizer(TestKeys.Client));
        await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());
    }

    [Fact]
    public async Task A_response_signed_by_a_key_other_than_the_callees_fails_the_client_with_binding_on()
    {
        // The server answers as peer D but signs with key E.
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Stranger));
        RpcStub lenient = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client));
        await lenient.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());

        RpcStub strict = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, bind: true));
        RpcAuthorizationException error = await Assert.ThrowsAsync<RpcAuthorizationException>(async () =>
            await strict.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
        Assert.Equal(RpcAuthFailure.SignerNotConnectionPeer, error.Failure);
    }

    [Fact]
    public async Task An_unsigned_or_tampered_response_fails_the_client()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync); // no authorizer: unsigned responses
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client));
        RpcAuthorizationException error = await Assert.ThrowsAsync<RpcAuthorizationException>(async () =>
            await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
        Assert.Equal(RpcAuthFailure.MissingAuth, error.Failure);
    }

    [Fact]
    public async Task A_signer_policy_runs_after_the_signature_checks_on_both_sides()
    {
        var serverPolicy = new Policy(allowed: TestKeys.Client.PublicKey);
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server, policy: serverPolicy));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, policy: new Policy(allowed: TestKeys.Server.PublicKey)));
        await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());
        Assert.Equal([new RpcSigner(TestKeys.Client.PublicKey, RpcSignerRole.Client)], serverPolicy.Seen);

        RpcStub refusedByServer = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Stranger));
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await refusedByServer.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));

        RpcStub refusingClient = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, policy: new Policy(allowed: TestKeys.Stranger.PublicKey)));
        RpcAuthorizationException error = await Assert.ThrowsAsync<RpcAuthorizationException>(async () =>
            await refusingClient.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
        Assert.Equal(RpcAuthFailure.PolicyRejected, error.Failure);

        // A policy that throws (a chain query failing) rejects, as mesh's ProofOfStakeAuthorizer does.
        await using RpcPair throwing = await ServedAsync(Authorizer(TestKeys.Server, policy: new Policy(allowed: null)));
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () =>
            await throwing.Client.CreateStub(throwing.ServerPeer, authorizer: Authorizer(TestKeys.Client)).CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
    }

    [Fact]
    public async Task Rate_limiting_in_front_of_the_signature_check_rejects_the_21st_quick_call()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using RpcPair pair = await ServedAsync(new RateLimitAuthorizer(Authorizer(TestKeys.Server, clock), timeProvider: clock));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client, clock));
        for (int i = 0; i < 20; i++)
        {
            await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token());
        }
        await Assert.ThrowsAsync<RpcRequestRejectedException>(async () => await stub.CallUnaryAsync(EchoMethod, new EchoRequest(), TestTimeout.Token()));
    }

    [Fact]
    public async Task Unary_stream_responses_are_each_signed_and_a_rejected_request_gets_an_empty_stream()
    {
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Server));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client));
        var indexes = new List<int>();
        await foreach (EchoResponse r in stub.CallUnaryStreamAsync(CountMethod, new EchoRequest { Count = 5 }, TestTimeout.Token()))
        {
            Assert.False(r.Auth.Signature.IsEmpty);
            indexes.Add(r.Index);
        }
        Assert.Equal([0, 1, 2, 3, 4], indexes);

        // Addressed to another key: mesh's streamer wrapper returns without responses.
        RpcStub misaddressed = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client), servicePublicKey: TestKeys.Stranger.PublicKey);
        int n = 0;
        await foreach (EchoResponse _ in misaddressed.CallUnaryStreamAsync(CountMethod, new EchoRequest { Count = 5 }, TestTimeout.Token()))
        {
            n++;
        }
        Assert.Equal(0, n);
    }

    [Fact]
    public async Task Rsa_keys_sign_and_validate_with_pss()
    {
        await using RpcPair pair = await ServedAsync(Authorizer(TestKeys.Rsa("A")));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Rsa("B")));
        EchoResponse response = await stub.CallUnaryAsync(EchoMethod, new EchoRequest { Text = "rsa" }, TestTimeout.Token());
        Assert.Equal("rsa", response.Text);
        Assert.StartsWith("ssh-rsa ", response.Auth.ServiceAccessToken.PublicKey.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(344, response.Auth.Signature.Length); // base64 of a 256-byte PSS signature
    }

    [Fact]
    public async Task A_stub_with_an_authorizer_refuses_messages_without_an_auth_field()
    {
        await using RpcPair pair = await CreatePairAsync();
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer, authorizer: Authorizer(TestKeys.Client));
        var plain = RpcMethod.Unary(Echo, PlainRequest.Parser, EchoResponse.Parser);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await stub.CallUnaryAsync(plain, new PlainRequest(), TestTimeout.Token()));
    }

    /// <summary>Signs, then changes the request: the signature no longer covers it.</summary>
    private sealed class Tampering(IRpcAuthorizer inner) : IRpcAuthorizer
    {
        public async ValueTask SignRequestAsync(IAuthorizedRequest request, PublicKey? servicePublicKey, RpcContext context)
        {
            await inner.SignRequestAsync(request, servicePublicKey, context);
            ((EchoRequest)request).Text += "!";
        }

        public ValueTask<RpcAuthResult> ValidateRequestAsync(IAuthorizedRequest request, RpcContext context) => inner.ValidateRequestAsync(request, context);

        public ValueTask SignResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) => inner.SignResponseAsync(response, request, context);

        public ValueTask<RpcAuthResult> ValidateResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) =>
            inner.ValidateResponseAsync(response, request, context);
    }

    /// <summary>Allows one key; with none, throws (a failing chain query).</summary>
    private sealed class Policy(PublicKey? allowed) : IRpcSignerPolicy
    {
        public List<RpcSigner> Seen { get; } = [];

        public ValueTask<bool> IsAllowedAsync(RpcSigner signer, RpcContext context)
        {
            lock (Seen)
            {
                Seen.Add(signer);
            }
            return allowed is null ? throw new HttpRequestException("chain unreachable") : ValueTask.FromResult(signer.PublicKey == allowed);
        }
    }
}

public sealed class AuthorizedCallOverYamuxTests : AuthorizedCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Yamux;
}

public sealed class AuthorizedCallOverHostTests : AuthorizedCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Host;
}
