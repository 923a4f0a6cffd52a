using System.Buffers;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Mesh.Kademlia.Protocol;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Streaming;
using Mesh.Transport.Rpc.Unary;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// The per-call envelope work of a unary RPC with a realistic payload (a signed FindRequest of 3 keys, ~380 bytes):
/// our span codec (canonical fast path, zero copy, request parsed straight from the receive buffer) against the same
/// work done with the generated PersistentConnectionRequest (what a straightforward port would do). Also the streaming
/// frame header, and the Ed25519 SignatureAuthorizer's sign/validate cost per request.
/// </summary>
public class RpcEnvelopeBenchmarks
{
    private const string Protocol = "DHTProtocol.rpc_find";

    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private FindRequest _request = null!;
    private PeerId _peer;
    private Guid _callId;
    private ReadOnlySequence<byte> _callFrame;
    private ReadOnlySequence<byte> _callFrameSplit;
    private byte[] _callBody = null!;
    private ReadOnlySequence<byte> _streamFrame;
    private SignatureAuthorizer _client = null!;
    private SignatureAuthorizer _server = null!;
    private RpcContext _context;
    private byte[] _signedRequest = null!;
    private const int PreSigned = 4096;
    private FindRequest[] _preSigned = null!;
    private PrivateKey _serverKey = null!;
    private int _next;
    private SignatureAuthorizerOptions _clientOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        PrivateKey clientKey = PrivateKey.Generate(KeyType.Ed25519);
        PrivateKey serverKey = PrivateKey.Generate(KeyType.Ed25519);
        _peer = serverKey.PublicKey.PeerId;
        _callId = Guid.NewGuid();
        _request = new FindRequest { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(new byte[20]) } };
        for (int i = 0; i < 3; i++)
        {
            _request.Keys.Add(ByteString.CopyFrom(Enumerable.Range(i, 20).Select(b => (byte)b).ToArray()));
        }
        // A frozen clock: pre-signed requests stay inside the 60 s window however long the run takes.
        _clientOptions = new SignatureAuthorizerOptions { TimeProvider = new FrozenClock(DateTimeOffset.UtcNow) };
        _client = new SignatureAuthorizer(clientKey, _clientOptions);
        _context = new RpcContext(Protocol, serverKey.PublicKey.PeerId, clientKey.PublicKey.PeerId, CancellationToken.None);
        _client.SignRequestAsync(_request, null, _context).AsTask().GetAwaiter().GetResult();
        _signedRequest = _request.ToByteArray();
        _serverKey = serverKey;
        _preSigned = new FindRequest[PreSigned];
        for (int i = 0; i < PreSigned; i++)
        {
            var request = new FindRequest();
            request.Keys.Add(_request.Keys[0]);
            _client.SignRequestAsync(request, null, _context).AsTask().GetAwaiter().GetResult();
            _preSigned[i] = request;
        }

        var writer = new ArrayBufferWriter<byte>();
        UnaryEnvelopeCodec.WriteCallFrame(writer, _callId, _peer.Bytes, Protocol, _signedRequest);
        byte[] frame = writer.WrittenSpan.ToArray();
        _callFrame = new ReadOnlySequence<byte>(frame);
        _callFrameSplit = BenchSegments.Chunked(frame, frame.Length / 2 + 1);
        Uvarint(frame, out int prefix);
        _callBody = frame[prefix..];

        writer.Clear();
        StreamFrameCodec.WriteHeader(writer, StreamFrameMarker.Message, (ulong)_signedRequest.Length);
        writer.Write(_signedRequest);
        _streamFrame = new ReadOnlySequence<byte>(writer.WrittenSpan.ToArray());
    }

    [Benchmark(Description = "unary call envelope: encode (span codec, request serialized in place)")]
    public int EncodeCallSpan()
    {
        _writer.ResetWrittenCount();
        int size = _request.CalculateSize();
        UnaryEnvelopeCodec.WriteCallPrefix(_writer, _callId, _peer.Bytes, Protocol, Protocol.Length, size);
        _request.WriteTo(_writer);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "unary call envelope: encode (generated PersistentConnectionRequest)")]
    public int EncodeCallGenerated()
    {
        _writer.ResetWrittenCount();
        var message = new PersistentConnectionRequest
        {
            CallId = UnsafeByteOperations.UnsafeWrap(_callId.ToByteArray(bigEndian: true)),
            CallUnary = new CallUnaryRequest { Peer = UnsafeByteOperations.UnsafeWrap(_peer.Memory), Proto = Protocol, Data = _request.ToByteString() },
        };
        Mesh.Multistream.Uvarint.Write(_writer, (ulong)message.CalculateSize());
        message.WriteTo(_writer);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "unary call envelope: decode + parse FindRequest (span codec, zero copy)")]
    public int DecodeCallSpan()
    {
        ReadOnlySequence<byte> buffer = _callFrame;
        UnaryEnvelopeCodec.TryReadFrame(ref buffer, UnaryEnvelopeCodec.DefaultMaxMessageSize, out UnaryEnvelope envelope, out _, out _);
        return FindRequest.Parser.ParseFrom(envelope.Data).Keys.Count;
    }

    [Benchmark(Description = "unary call envelope: decode + parse FindRequest (span codec, frame split in 2 segments)")]
    public int DecodeCallSpanSplit()
    {
        ReadOnlySequence<byte> buffer = _callFrameSplit;
        UnaryEnvelopeCodec.TryReadFrame(ref buffer, UnaryEnvelopeCodec.DefaultMaxMessageSize, out UnaryEnvelope envelope, out _, out _);
        return FindRequest.Parser.ParseFrom(envelope.Data).Keys.Count;
    }

    [Benchmark(Description = "unary call envelope: decode + parse FindRequest (generated)")]
    public int DecodeCallGenerated()
    {
        PersistentConnectionRequest message = PersistentConnectionRequest.Parser.ParseFrom(_callBody);
        return FindRequest.Parser.ParseFrom(message.CallUnary.Data).Keys.Count;
    }

    [Benchmark(Description = "unary call envelope: decode only (span codec)")]
    public long DecodeEnvelopeOnlySpan()
    {
        ReadOnlySequence<byte> buffer = _callFrame;
        UnaryEnvelopeCodec.TryReadFrame(ref buffer, UnaryEnvelopeCodec.DefaultMaxMessageSize, out UnaryEnvelope envelope, out _, out _);
        return envelope.Data.Length;
    }

    [Benchmark(Description = "unary call envelope: decode only (generated)")]
    public int DecodeEnvelopeOnlyGenerated() => PersistentConnectionRequest.Parser.ParseFrom(_callBody).CallUnary.Data.Length;

    [Benchmark(Description = "stream frame: decode header + payload view")]
    public long DecodeStreamFrame()
    {
        ReadOnlySequence<byte> buffer = _streamFrame;
        StreamFrameCodec.TryReadFrame(ref buffer, StreamFrameCodec.DefaultMaxMessageSize, out _, out ReadOnlySequence<byte> payload, out _, out _);
        return payload.Length;
    }

    [Benchmark(Description = "authorizer (Ed25519): sign request")]
    public int SignRequest()
    {
        var request = new FindRequest();
        request.Keys.Add(_request.Keys[0]);
        _client.SignRequestAsync(request, null, _context).GetAwaiter().GetResult();
        return request.Auth.Signature.Length;
    }

    [Benchmark(Description = "authorizer (Ed25519): validate request (signature, clock, nonce remembered)")]
    public bool ValidateRequest()
    {
        // Every request must be fresh (the same bytes again would be a replay): cycle through pre-signed requests and
        // start a new authorizer (an empty nonce memory) once per cycle, 1 in 4096 invocations.
        int i = _next++ & (PreSigned - 1);
        if (i == 0)
        {
            _server = new SignatureAuthorizer(_serverKey, _clientOptions);
        }
        return _server.ValidateRequestAsync(_preSigned[i], _context).GetAwaiter().GetResult().IsSuccess;
    }

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static ulong Uvarint(ReadOnlySpan<byte> source, out int read) => Mesh.Multistream.Uvarint.Read(source, out read);
}
