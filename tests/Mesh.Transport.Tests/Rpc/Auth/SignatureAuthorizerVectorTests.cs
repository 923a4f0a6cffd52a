using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Mesh.Kademlia.Protocol;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Transport.Tests.Rpc.Auth;

/// <summary>auth.json: mesh's SignatureAuthorizer run by the real Python code at a fixed time with fixed nonces.</summary>
public sealed class SignatureAuthorizerVectorTests
{
    private static readonly PeerId ClientPeer = TestKeys.Client.PublicKey.PeerId;
    private static readonly PeerId ServerPeer = TestKeys.Server.PublicKey.PeerId;

    private static RpcContext AtServer(string protocol = "DHTProtocol.rpc_find") => new(protocol, ServerPeer, ClientPeer, CancellationToken.None);

    private static RpcContext AtClient(string protocol = "DHTProtocol.rpc_find") => new(protocol, ClientPeer, ServerPeer, CancellationToken.None);

    private static SignatureAuthorizer Authorizer(PrivateKey key, TimeProvider clock, NonceGenerator? nonces = null, bool verifyToken = false, bool bindPeers = false) =>
        new(key, new SignatureAuthorizerOptions
        {
            TimeProvider = clock,
            NonceGenerator = nonces,
            VerifyAccessToken = verifyToken,
            RequireSignerIsRemotePeer = bindPeers,
        });

    private static IEnumerable<JsonElement> Cases() => RpcVectors.Auth().GetProperty("cases").EnumerateArray();

    private static IAuthorizedRequest ParseRequest(string type, byte[] bytes) => type switch
    {
        "dht.FindRequest" or "FindRequest" => FindRequest.Parser.ParseFrom(bytes),
        "dht.PingRequest" or "PingRequest" => PingRequest.Parser.ParseFrom(bytes),
        _ => throw new NotSupportedException(type),
    };

    private static IAuthorizedResponse ParseResponse(string type, byte[] bytes) => type switch
    {
        "dht.FindResponse" or "FindResponse" => FindResponse.Parser.ParseFrom(bytes),
        "dht.PingResponse" or "PingResponse" => PingResponse.Parser.ParseFrom(bytes),
        _ => throw new NotSupportedException(type),
    };

    [Fact]
    public void The_vector_keys_are_the_ones_the_file_names()
    {
        JsonElement keys = RpcVectors.Auth().GetProperty("keys");
        Assert.Equal(keys.GetProperty("client_public_key_openssh").GetString(), OpenSshPublicKey.FormatString(TestKeys.Client.PublicKey));
        Assert.Equal(keys.GetProperty("server_public_key_openssh").GetString(), OpenSshPublicKey.FormatString(TestKeys.Server.PublicKey));
    }

    [Fact]
    public void Token_text_is_mesh_token_to_bytes_and_the_token_is_byte_identical()
    {
        JsonElement root = RpcVectors.Auth();
        var tokens = new List<(JsonElement Token, DateTimeOffset Now, PrivateKey Key)>();
        foreach (JsonElement c in Cases())
        {
            tokens.Add((c.GetProperty("client_token"), TestClock.VectorNow, TestKeys.Client));
            tokens.Add((c.GetProperty("server_token"), TestClock.VectorNow, TestKeys.Server));
        }
        foreach (JsonElement f in root.GetProperty("token_format_cases").EnumerateArray())
        {
            tokens.Add((f.GetProperty("token"), DateTimeOffset.Parse(f.GetProperty("now_utc").GetString()!, System.Globalization.CultureInfo.InvariantCulture), TestKeys.Client));
        }
        foreach ((JsonElement expected, DateTimeOffset now, PrivateKey key) in tokens)
        {
            AccessToken token = Authorizer(key, new TestClock(now)).CreateAccessToken();
            Assert.Equal(expected.GetProperty("expiration_time").GetString(), token.ExpirationTime);
            Assert.Equal(expected.GetProperty("public_key_ascii").GetString(), token.PublicKey.ToStringUtf8());
            Assert.Equal(expected.GetProperty("token_to_bytes_ascii").GetString(), Encoding.UTF8.GetString(AccessTokenText.ToBytes(token)));
            // Ed25519 is deterministic: the signature, hence the whole protobuf, is Python's byte for byte.
            Assert.Equal(expected.GetProperty("signature_ascii").GetString(), token.Signature.ToStringUtf8());
            Assert.Equal(expected.GetProperty("access_token_protobuf_hex").GetString(), Hex.Encode(token.ToByteArray()));
        }
    }

    [Fact]
    public async Task Requests_signed_here_are_the_python_bytes_and_validate()
    {
        foreach (JsonElement c in Cases())
        {
            string type = c.GetProperty("request_type").GetString()!;
            IAuthorizedRequest request = ParseRequest(type, RpcVectors.HexOf(c, "request_without_auth_hex"));
            TestClock clock = TestClock.AtVectorTime();
            SignatureAuthorizer client = Authorizer(TestKeys.Client, clock, TestKeys.Nonces(c.GetProperty("auth_nonce_hex").GetString()!));
            PublicKey? serviceKey = c.TryGetProperty("auth_service_public_key_ascii", out _) ? TestKeys.Server.PublicKey : null;

            await client.SignRequestAsync(request, serviceKey, AtClient());

            Assert.Equal(c.GetProperty("request_signature_ascii").GetString(), request.Auth.Signature.ToStringUtf8());
            Assert.Equal(c.GetProperty("signed_request_hex").GetString(), Hex.Encode(request.ToByteArray()));
            Assert.Equal(RpcVectors.Double(c.GetProperty("auth_time")), request.Auth.Time);

            // The signing payload is the message serialized with an empty signature.
            ByteString signature = request.Auth.Signature;
            request.Auth.Signature = ByteString.Empty;
            Assert.Equal(c.GetProperty("request_signing_payload_hex").GetString(), Hex.Encode(request.ToByteArray()));
            request.Auth.Signature = signature;

            SignatureAuthorizer server = Authorizer(TestKeys.Server, clock);
            RpcAuthResult verdict = await server.ValidateRequestAsync(ParseRequest(type, RpcVectors.HexOf(c, "signed_request_hex")), AtServer());
            Assert.True(verdict.IsSuccess, verdict.ToString());
            Assert.Equal(TestKeys.Client.PublicKey, verdict.Signer);
            Assert.Equal(c.GetProperty("server_validate_request").GetBoolean(), verdict.IsSuccess);
        }
    }

    [Fact]
    public async Task Responses_signed_here_are_the_python_bytes_and_validate()
    {
        foreach (JsonElement c in Cases())
        {
            IAuthorizedRequest request = ParseRequest(c.GetProperty("request_type").GetString()!, RpcVectors.HexOf(c, "signed_request_hex"));
            string responseType = c.GetProperty("response_type").GetString()!;
            IAuthorizedResponse response = ParseResponse(responseType, RpcVectors.HexOf(c, "response_without_auth_hex"));
            TestClock clock = TestClock.AtVectorTime();

            await Authorizer(TestKeys.Server, clock).SignResponseAsync(response, request, AtServer());

            Assert.Equal(c.GetProperty("response_signature_ascii").GetString(), response.Auth.Signature.ToStringUtf8());
            Assert.Equal(c.GetProperty("signed_response_hex").GetString(), Hex.Encode(response.ToByteArray()));
            ByteString signature = response.Auth.Signature;
            response.Auth.Signature = ByteString.Empty;
            Assert.Equal(c.GetProperty("response_signing_payload_hex").GetString(), Hex.Encode(response.ToByteArray()));
            response.Auth.Signature = signature;

            RpcAuthResult verdict = await Authorizer(TestKeys.Client, clock).ValidateResponseAsync(
                ParseResponse(responseType, RpcVectors.HexOf(c, "signed_response_hex")), request, AtClient());
            Assert.True(verdict.IsSuccess, verdict.ToString());
            Assert.Equal(TestKeys.Server.PublicKey, verdict.Signer);
        }
    }

    [Fact]
    public async Task Every_negative_request_case_gets_the_python_verdict_for_the_right_reason()
    {
        JsonElement[] cases = RpcVectors.Auth().GetProperty("request_negative_cases").EnumerateArray().ToArray();
        RpcAuthFailure[] reasons =
        [
            RpcAuthFailure.BadSignature,        // keys[0] replaced after signing
            RpcAuthFailure.BadSignature,        // nonce replaced after signing
            RpcAuthFailure.BadSignature,        // token public key swapped: the signature is checked with the wrong key
            RpcAuthFailure.None,                // now + 60.0: the bound is inclusive
            RpcAuthFailure.StaleTimestamp,      // now + 60.5
            RpcAuthFailure.StaleTimestamp,      // now − 61
            RpcAuthFailure.None,                // first delivery
            RpcAuthFailure.ReplayedNonce,       // same bytes again, same authorizer
            RpcAuthFailure.WrongServiceKey,     // addressed to the server, validated by another key
            RpcAuthFailure.BadSignature,        // auth.time changed by 1 ms
            RpcAuthFailure.None,                // garbage token signature: mesh never checks it
        ];
        Assert.Equal(reasons.Length, cases.Length);
        SignatureAuthorizer? shared = null;
        for (int i = 0; i < cases.Length; i++)
        {
            JsonElement c = cases[i];
            var clock = new TestClock(TestClock.FromUnixSeconds(RpcVectors.Double(c.GetProperty("server_clock"))));
            string description = c.GetProperty("description").GetString()!;
            PrivateKey serverKey = description.Contains("different key", StringComparison.Ordinal) ? TestKeys.Stranger : TestKeys.Server;
            // The replay case reuses the authorizer that accepted the first delivery.
            SignatureAuthorizer server = description.Contains("again", StringComparison.Ordinal) ? shared! : Authorizer(serverKey, clock);
            if (description.Contains("first delivery", StringComparison.Ordinal))
            {
                shared = server;
            }
            IAuthorizedRequest request = ParseRequest(c.GetProperty("request_type").GetString()!, RpcVectors.HexOf(c, "request_hex"));
            RpcAuthResult verdict = await server.ValidateRequestAsync(request, AtServer());
            Assert.True(c.GetProperty("validate_request").GetBoolean() == verdict.IsSuccess, $"case {i} ({description}): {verdict}");
            Assert.True(reasons[i] == verdict.Failure, $"case {i} ({description}): expected {reasons[i]}, got {verdict}");
        }
    }

    [Fact]
    public async Task The_garbage_token_python_accepts_is_rejected_with_token_verification_on()
    {
        JsonElement garbage = RpcVectors.Auth().GetProperty("request_negative_cases").EnumerateArray()
            .Single(c => c.GetProperty("description").GetString()!.Contains("garbage", StringComparison.Ordinal));
        byte[] bytes = RpcVectors.HexOf(garbage, "request_hex");
        TestClock clock = TestClock.AtVectorTime();

        RpcAuthResult byDefault = await Authorizer(TestKeys.Server, clock).ValidateRequestAsync(FindRequest.Parser.ParseFrom(bytes), AtServer());
        Assert.True(byDefault.IsSuccess, byDefault.ToString());

        RpcAuthResult verified = await Authorizer(TestKeys.Server, clock, verifyToken: true).ValidateRequestAsync(FindRequest.Parser.ParseFrom(bytes), AtServer());
        Assert.Equal(RpcAuthFailure.BadTokenSignature, verified.Failure);
    }

    [Fact]
    public async Task The_valid_vector_requests_and_responses_pass_token_verification_and_peer_binding()
    {
        foreach (JsonElement c in Cases())
        {
            TestClock clock = TestClock.AtVectorTime();
            string type = c.GetProperty("request_type").GetString()!;
            SignatureAuthorizer server = Authorizer(TestKeys.Server, clock, verifyToken: true, bindPeers: true);
            IAuthorizedRequest request = ParseRequest(type, RpcVectors.HexOf(c, "signed_request_hex"));
            RpcAuthResult verdict = await server.ValidateRequestAsync(request, AtServer());
            Assert.True(verdict.IsSuccess, verdict.ToString());

            SignatureAuthorizer client = Authorizer(TestKeys.Client, clock, verifyToken: true, bindPeers: true);
            verdict = await client.ValidateResponseAsync(ParseResponse(c.GetProperty("response_type").GetString()!, RpcVectors.HexOf(c, "signed_response_hex")), request, AtClient());
            Assert.True(verdict.IsSuccess, verdict.ToString());

            // 60 s later the tokens (valid for one minute) have just expired, while auth.time is still within the skew.
            clock.Advance(TimeSpan.FromSeconds(60.5));
            verdict = await Authorizer(TestKeys.Server, clock, verifyToken: true).ValidateResponseAsync(
                ParseResponse(c.GetProperty("response_type").GetString()!, RpcVectors.HexOf(c, "signed_response_hex")), request, AtClient());
            Assert.Equal(RpcAuthFailure.TokenExpired, verdict.Failure);
        }
    }

    [Fact]
    public async Task Peer_binding_rejects_a_request_from_a_connection_whose_peer_did_not_sign_it()
    {
        JsonElement c = Cases().First();
        byte[] bytes = RpcVectors.HexOf(c, "signed_request_hex");
        TestClock clock = TestClock.AtVectorTime();
        var relayed = new RpcContext("DHTProtocol.rpc_find", ServerPeer, TestKeys.Stranger.PublicKey.PeerId, CancellationToken.None);

        RpcAuthResult off = await Authorizer(TestKeys.Server, clock).ValidateRequestAsync(FindRequest.Parser.ParseFrom(bytes), relayed);
        Assert.True(off.IsSuccess, "peer binding is off by default (mesh does not bind)");

        RpcAuthResult on = await Authorizer(TestKeys.Server, clock, bindPeers: true).ValidateRequestAsync(FindRequest.Parser.ParseFrom(bytes), relayed);
        Assert.Equal(RpcAuthFailure.SignerNotConnectionPeer, on.Failure);

        // And a response must come from the peer that was called.
        IAuthorizedRequest request = FindRequest.Parser.ParseFrom(bytes);
        var wrongCallee = new RpcContext("DHTProtocol.rpc_find", ClientPeer, TestKeys.Stranger.PublicKey.PeerId, CancellationToken.None);
        RpcAuthResult response = await Authorizer(TestKeys.Client, clock, bindPeers: true).ValidateResponseAsync(
            FindResponse.Parser.ParseFrom(RpcVectors.HexOf(c, "signed_response_hex")), request, wrongCallee);
        Assert.Equal(RpcAuthFailure.SignerNotConnectionPeer, response.Failure);
    }

    [Fact]
    public async Task Every_negative_response_case_is_rejected_for_the_right_reason()
    {
        RpcAuthFailure[] reasons = [RpcAuthFailure.BadSignature, RpcAuthFailure.NonceMismatch, RpcAuthFailure.BadSignature];
        JsonElement[] cases = RpcVectors.Auth().GetProperty("response_negative_cases").EnumerateArray().ToArray();
        Assert.Equal(reasons.Length, cases.Length);
        for (int i = 0; i < cases.Length; i++)
        {
            JsonElement c = cases[i];
            string description = c.GetProperty("description").GetString()!;
            byte[] responseBytes = RpcVectors.HexOf(c, "response_hex");
            byte[] requestBytes = RpcVectors.HexOf(c, "request_hex");
            IAuthorizedResponse response = description.StartsWith("Ping", StringComparison.Ordinal) ? PingResponse.Parser.ParseFrom(responseBytes) : FindResponse.Parser.ParseFrom(responseBytes);
            IAuthorizedRequest request = description.StartsWith("Ping", StringComparison.Ordinal) || description.Contains("different request", StringComparison.Ordinal)
                ? PingRequest.Parser.ParseFrom(requestBytes)
                : FindRequest.Parser.ParseFrom(requestBytes);
            RpcAuthResult verdict = await Authorizer(TestKeys.Client, TestClock.AtVectorTime()).ValidateResponseAsync(response, request, AtClient());
            Assert.False(c.GetProperty("validate_response").GetBoolean());
            Assert.True(reasons[i] == verdict.Failure, $"case {i} ({description}): expected {reasons[i]}, got {verdict}");
        }
    }

    [Fact]
    public async Task Validation_leaves_the_message_as_it_was()
    {
        JsonElement c = Cases().First();
        byte[] bytes = RpcVectors.HexOf(c, "signed_request_hex");
        FindRequest request = FindRequest.Parser.ParseFrom(bytes);
        await Authorizer(TestKeys.Server, TestClock.AtVectorTime()).ValidateRequestAsync(request, AtServer());
        Assert.Equal(Hex.Encode(bytes), Hex.Encode(request.ToByteArray()));
    }
}
