using System.Buffers;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Ref = Mesh.Kademlia.Libp2p.Protos;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// The hot /ipfs/kad/1.0.0 messages, span codec (KadMessageCodec, what the DHT uses) against the generated
/// Google.Protobuf codec of the same .proto: a FIND_NODE response with k = 20 closer peers of two addresses each (every
/// lookup step), and a GET_VALUE response carrying a 1 KiB record. Decode includes validating peer ids and multiaddrs
/// for the span codec (the generated one only copies bytes; its callers would still have to validate).
/// </summary>
[MemoryDiagnoser]
public class KadMessageCodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(8192);
    private KadMessage _findNode = null!;
    private KadMessage _getValue = null!;
    private Ref.Message _findNodeRef = null!;
    private Ref.Message _getValueRef = null!;
    private ReadOnlySequence<byte> _findNodeFrame;
    private ReadOnlySequence<byte> _getValueFrame;
    private byte[] _findNodeBody = null!;
    private byte[] _getValueBody = null!;
    private byte[] _pkKey = null!;
    private byte[] _pkValue = null!;
    private readonly KadValidators _validators = new();

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var peers = new List<KadPeer>();
        for (int i = 0; i < 20; i++)
        {
            byte[] digest = new byte[32];
            rng.NextBytes(digest);
            peers.Add(new KadPeer(PeerId.FromBytes(Multihash.Create(Multihash.Sha2_256Code, digest)),
                [Multiaddr.Parse($"/ip4/10.0.{i}.1/tcp/4001"), Multiaddr.Parse($"/ip6/2001:db8::{i + 1}/tcp/4001")]));
        }
        _findNode = new KadMessage { Type = KadMessageType.FindNode, Key = peers[0].Id.ToByteArray(), CloserPeers = peers };
        byte[] value = new byte[1024];
        rng.NextBytes(value);
        _getValue = new KadMessage
        {
            Type = KadMessageType.GetValue,
            Key = "/v/benchmark-key"u8.ToArray(),
            Record = new KadRecord("/v/benchmark-key"u8.ToArray(), value, "2025-01-02T03:04:05.6780000Z"),
            CloserPeers = peers,
        };
        byte[] findFrame = KadMessageCodec.ToFrame(_findNode);
        byte[] getFrame = KadMessageCodec.ToFrame(_getValue);
        _findNodeFrame = new ReadOnlySequence<byte>(findFrame);
        _getValueFrame = new ReadOnlySequence<byte>(getFrame);
        _findNodeBody = findFrame[Uvarint.GetByteCount((ulong)KadMessageCodec.GetBodyLength(_findNode))..];
        _getValueBody = getFrame[Uvarint.GetByteCount((ulong)KadMessageCodec.GetBodyLength(_getValue))..];
        _findNodeRef = Ref.Message.Parser.ParseFrom(_findNodeBody);
        _getValueRef = Ref.Message.Parser.ParseFrom(_getValueBody);
        PrivateKey key = PrivateKey.Generate(KeyType.Ed25519);
        _pkKey = KadRecordKey.Create("pk", key.PeerId.Bytes);
        _pkValue = key.PublicKey.ToProtobuf();
    }

    [Benchmark(Baseline = true)]
    public KadMessage? FindNode_Decode_Span()
    {
        ReadOnlySequence<byte> buffer = _findNodeFrame;
        KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out _);
        return m;
    }

    [Benchmark]
    public object FindNode_Decode_Generated() => Ref.Message.Parser.ParseFrom(_findNodeBody);

    // The generated decode plus what the DHT would then have to do with it anyway: turn every peer id and address
    // into a validated PeerId / Multiaddr (the span codec does this while decoding).
    [Benchmark]
    public int FindNode_Decode_Generated_Validated()
    {
        Ref.Message m = Ref.Message.Parser.ParseFrom(_findNodeBody);
        int valid = 0;
        foreach (Ref.Message.Types.Peer p in m.CloserPeers)
        {
            if (PeerId.TryFromBytes(p.Id.Span, out _))
            {
                foreach (ByteString a in p.Addrs)
                {
                    valid += Multiaddr.TryRead(a.Span, out _) ? 1 : 0;
                }
            }
        }
        return valid;
    }

    [Benchmark]
    public int FindNode_Encode_Span()
    {
        _writer.ResetWrittenCount();
        return KadMessageCodec.WriteFrame(_writer, _findNode);
    }

    [Benchmark]
    public int FindNode_Encode_Generated()
    {
        _writer.ResetWrittenCount();
        _findNodeRef.WriteDelimitedTo(new BufferWriterStream(_writer));
        return _writer.WrittenCount;
    }

    [Benchmark]
    public KadMessage? GetValue_Decode_Span()
    {
        ReadOnlySequence<byte> buffer = _getValueFrame;
        KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out _);
        return m;
    }

    [Benchmark]
    public object GetValue_Decode_Generated() => Ref.Message.Parser.ParseFrom(_getValueBody);

    [Benchmark]
    public int GetValue_Encode_Span()
    {
        _writer.ResetWrittenCount();
        return KadMessageCodec.WriteFrame(_writer, _getValue);
    }

    [Benchmark]
    public int GetValue_Encode_Generated()
    {
        _writer.ResetWrittenCount();
        _getValueRef.WriteDelimitedTo(new BufferWriterStream(_writer));
        return _writer.WrittenCount;
    }

    [Benchmark]
    public bool Validate_PublicKeyRecord() => _validators.Validate(_pkKey, _pkValue, out _);

    // Minimal Stream over an IBufferWriter for the generated codec's WriteDelimitedTo (no copy beyond its own).
    private sealed class BufferWriterStream(IBufferWriter<byte> writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);
    }
}
