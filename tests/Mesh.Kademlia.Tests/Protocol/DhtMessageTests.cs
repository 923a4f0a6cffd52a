using System.Text.Json;
using Google.Protobuf;
using Mesh.Kademlia.Protocol;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Tests.Protocol;

/// <summary>
/// The generated DHT messages against the Python vectors: byte-identical serialization (signatures cover it), and the
/// auth field reachable through IAuthorizedRequest/IAuthorizedResponse so the RPC authorizers validate them.
/// </summary>
public sealed class DhtMessageTests
{
    private static JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector(file))).RootElement;

    [Fact]
    public void Every_dht_payload_of_the_python_exchange_reserializes_byte_identically()
    {
        int checkedMessages = 0;
        foreach (JsonElement step in Load("unary_envelope.json").GetProperty("dht_exchange").GetProperty("steps").EnumerateArray())
        {
            foreach (JsonElement frame in step.GetProperty("transcript").EnumerateArray())
            {
                JsonElement summary = frame.GetProperty("summary");
                if (!summary.TryGetProperty("payload_type", out JsonElement type))
                {
                    continue;
                }
                byte[] data = Hex.Decode((summary.TryGetProperty("data_hex", out JsonElement d) ? d : summary.GetProperty("response_hex")).GetString()!);
                IMessage message = type.GetString() switch
                {
                    "PingRequest" => PingRequest.Parser.ParseFrom(data),
                    "PingResponse" => PingResponse.Parser.ParseFrom(data),
                    "StoreRequest" => StoreRequest.Parser.ParseFrom(data),
                    "StoreResponse" => StoreResponse.Parser.ParseFrom(data),
                    "FindRequest" => FindRequest.Parser.ParseFrom(data),
                    "FindResponse" => FindResponse.Parser.ParseFrom(data),
                    var other => throw new NotSupportedException(other),
                };
                Assert.Equal(Hex.Encode(data), Hex.Encode(message.ToByteArray()));
                checkedMessages++;
            }
        }
        Assert.True(checkedMessages >= 16);
    }

    [Fact]
    public async Task The_auth_vectors_validate_through_the_dht_types()
    {
        JsonElement c = Load("auth.json").GetProperty("cases")[0];
        var clock = new FixedClock(DateTimeOffset.UnixEpoch.AddTicks(17000000002500000));
        Ed25519PrivateKey server = Ed25519PrivateKey.FromSeed(Hex.Decode(Load("auth.json").GetProperty("keys").GetProperty("server_ed25519_seed_hex").GetString()!));
        Ed25519PrivateKey client = Ed25519PrivateKey.FromSeed(Hex.Decode(Load("auth.json").GetProperty("keys").GetProperty("client_ed25519_seed_hex").GetString()!));
        FindRequest request = FindRequest.Parser.ParseFrom(Hex.Decode(c.GetProperty("signed_request_hex").GetString()!));
        var context = new RpcContext("DHTProtocol.rpc_find", server.PublicKey.PeerId, client.PublicKey.PeerId, CancellationToken.None);
        RpcAuthResult verdict = await new SignatureAuthorizer(server, new SignatureAuthorizerOptions { TimeProvider = clock }).ValidateRequestAsync(request, context);
        Assert.True(verdict.IsSuccess, verdict.ToString());
        FindResponse response = FindResponse.Parser.ParseFrom(Hex.Decode(c.GetProperty("signed_response_hex").GetString()!));
        verdict = await new SignatureAuthorizer(client, new SignatureAuthorizerOptions { TimeProvider = clock }).ValidateResponseAsync(response, request, context);
        Assert.True(verdict.IsSuccess, verdict.ToString());
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
