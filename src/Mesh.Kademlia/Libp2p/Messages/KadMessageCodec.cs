using System.Buffers;
using System.Text;
using Mesh.Multistream;
using Mesh.Multistream.Protobuf;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// Span codec for <see cref="KadMessage"/> framed as on <c>/ipfs/kad/1.0.0</c> streams (libp2p kad-dht spec, "RPC
/// messages"; libp2p-specs.md §2i):
/// <code>
///   uvarint(n) ‖ n bytes of Message protobuf                       n ≤ 4 MiB (go network.MessageSizeMax, js)
///   Message { type=1 varint, key=2 LEN, record=3 LEN(Record), closerPeers=8 LEN(Peer)*, providerPeers=9 LEN(Peer)*,
///             clusterLevelRaw=10 varint }
///   Record  { key=1 LEN, value=2 LEN, (author=3, signature=4: removed, skipped), timeReceived=5 LEN(utf8) }
///   Peer    { id=1 LEN(peer id multihash), addrs=2 LEN(binary multiaddr)*, connection=3 varint }
/// </code>
/// Chosen over the generated Google.Protobuf codec by <c>KadMessageCodecBenchmarks</c> (the generated one stays as
/// the reference decoder in tests): the size limit is checked on the length prefix before the body is buffered, every
/// count limit is checked while decoding before anything is allocated for an entry, peer ids and multiaddrs are
/// validated by our own multiformats codecs on the way in, and bad input yields a <see cref="KadMessageError"/>.
/// </summary>
/// <remarks>
/// <para>Writing follows go-libp2p-kad-dht (proto3, same tags): fields in field-number order, defaults omitted.
/// Reading accepts any field order, unknown fields (skipped), and repeated scalar fields (the last one wins; repeated
/// <c>record</c> fields merge, as protobuf defines for an embedded message).</para>
/// <para>Deliberate choices: an unknown message type is rejected (proto2 would turn it into an absent field, i.e.
/// PUT_VALUE, which is dangerous); a peer entry without a valid peer id is rejected; an address that is not a valid
/// multiaddr is dropped from its peer (go-libp2p-kad-dht skips such addresses too), so one odd address a peer
/// learned from somewhere does not make a whole response unusable.</para>
/// </remarks>
public static class KadMessageCodec
{
    /// <summary>Largest message read or written by default: 4 MiB (go <c>network.MessageSizeMax</c>, js).</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>Most entries in <c>closerPeers</c> or in <c>providerPeers</c> (a correct response holds k = 20 closer peers).</summary>
    public const int MaxPeersPerList = 1024;

    /// <summary>Most addresses kept per peer entry (identify's listen-address bound).</summary>
    public const int MaxAddressesPerPeer = 128;

    private const byte TagType = 1 << 3 | ProtobufSpanReader.WireVarint;
    private const byte TagKey = 2 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagRecord = 3 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagCloserPeers = 8 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagProviderPeers = 9 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagClusterLevel = 10 << 3 | ProtobufSpanReader.WireVarint;
    private const byte TagRecordKey = 1 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagRecordValue = 2 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagRecordTimeReceived = 5 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagPeerId = 1 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagPeerAddrs = 2 << 3 | ProtobufSpanReader.WireLengthDelimited;
    private const byte TagPeerConnection = 3 << 3 | ProtobufSpanReader.WireVarint;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // ---- reading ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads one length-prefixed message from the start of <paramref name="buffer"/>.
    /// </summary>
    /// <returns><see cref="OperationStatus.Done"/> with <paramref name="buffer"/> sliced past the message;
    /// <see cref="OperationStatus.NeedMoreData"/> with the buffer untouched; or <see cref="OperationStatus.InvalidData"/>
    /// with <paramref name="error"/>. The size limit is checked on the length prefix, before the body is buffered.</returns>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out KadMessage? message, out KadMessageError error, int maxMessageSize = DefaultMaxMessageSize)
    {
        message = null;
        // LengthPrefixed moves the buffer on Done only; work on a copy so a rejected body leaves the caller's untouched.
        ReadOnlySequence<byte> rest = buffer;
        OperationStatus status = LengthPrefixed.TryRead(ref rest, maxMessageSize, out ReadOnlySequence<byte> body, out FramingError framing);
        if (status != OperationStatus.Done)
        {
            error = framing switch
            {
                FramingError.None => KadMessageError.None,
                FramingError.MessageTooLarge => KadMessageError.MessageTooLarge,
                _ => KadMessageError.BadLengthPrefix,
            };
            return status;
        }
        if (body.IsSingleSegment)
        {
            error = TryParse(body.FirstSpan, out message);
        }
        else
        {
            int length = (int)body.Length;
            byte[] scratch = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                body.CopyTo(scratch);
                error = TryParse(scratch.AsSpan(0, length), out message);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
        if (error != KadMessageError.None)
        {
            return OperationStatus.InvalidData;
        }
        buffer = rest;
        return OperationStatus.Done;
    }

    /// <summary>Decodes one protobuf body (no length prefix). Copies everything it keeps.</summary>
    public static KadMessageError TryParse(ReadOnlySpan<byte> body, out KadMessage? message)
    {
        message = null;
        var reader = new ProtobufSpanReader(body);
        KadMessageType type = KadMessageType.PutValue;
        int clusterLevel = 0;
        ReadOnlySpan<byte> key = default;
        bool hasRecord = false;
        RecordParts record = default;
        List<KadPeer>? closer = null;
        List<KadPeer>? providers = null;
        while (!reader.IsAtEnd)
        {
            if (reader.ReadTag(out int field, out int wire) != ProtobufReadError.None)
            {
                return KadMessageError.MalformedProtobuf;
            }
            KadMessageError fieldError;
            switch (field)
            {
                case 1:
                    if (wire != ProtobufSpanReader.WireVarint)
                    {
                        return KadMessageError.WrongWireType;
                    }
                    if (reader.ReadVarint(out ulong rawType) != ProtobufReadError.None)
                    {
                        return KadMessageError.MalformedProtobuf;
                    }
                    if (rawType > (ulong)KadMessageType.Ping)
                    {
                        return KadMessageError.UnknownMessageType;
                    }
                    type = (KadMessageType)rawType;
                    break;
                case 10:
                    if (wire != ProtobufSpanReader.WireVarint)
                    {
                        return KadMessageError.WrongWireType;
                    }
                    if (reader.ReadVarint(out ulong rawLevel) != ProtobufReadError.None)
                    {
                        return KadMessageError.MalformedProtobuf;
                    }
                    clusterLevel = unchecked((int)rawLevel); // int32 reads the low 32 bits (protobuf encoding guide)
                    break;
                case 2:
                    fieldError = ReadBytes(ref reader, wire, out key);
                    if (fieldError != KadMessageError.None)
                    {
                        return fieldError;
                    }
                    break;
                case 3:
                    fieldError = ReadBytes(ref reader, wire, out ReadOnlySpan<byte> recordBody);
                    if (fieldError != KadMessageError.None)
                    {
                        return fieldError;
                    }
                    fieldError = MergeRecord(recordBody, ref record);
                    if (fieldError != KadMessageError.None)
                    {
                        return fieldError;
                    }
                    hasRecord = true;
                    break;
                case 8:
                case 9:
                    fieldError = ReadBytes(ref reader, wire, out ReadOnlySpan<byte> peerBody);
                    if (fieldError != KadMessageError.None)
                    {
                        return fieldError;
                    }
                    ref List<KadPeer>? list = ref (field == 8 ? ref closer : ref providers);
                    list ??= [];
                    if (list.Count >= MaxPeersPerList)
                    {
                        return KadMessageError.TooManyEntries;
                    }
                    fieldError = ParsePeer(peerBody, out KadPeer? peer);
                    if (fieldError != KadMessageError.None)
                    {
                        return fieldError;
                    }
                    list.Add(peer!);
                    break;
                default:
                    if (reader.SkipField(field, wire) != ProtobufReadError.None)
                    {
                        return KadMessageError.MalformedProtobuf;
                    }
                    break;
            }
        }
        KadRecord? decodedRecord = null;
        if (hasRecord)
        {
            string? time = null;
            if (record.Time is not null)
            {
                try
                {
                    time = s_strictUtf8.GetString(record.Time);
                }
                catch (DecoderFallbackException)
                {
                    return KadMessageError.InvalidUtf8;
                }
            }
            decodedRecord = new KadRecord(record.Key ?? [], record.Value ?? [], time);
        }
        message = new KadMessage
        {
            Type = type,
            ClusterLevelRaw = clusterLevel,
            Key = key.IsEmpty ? ReadOnlyMemory<byte>.Empty : key.ToArray(),
            Record = decodedRecord,
            CloserPeers = closer is null ? [] : closer.ToArray(),
            ProviderPeers = providers is null ? [] : providers.ToArray(),
        };
        return KadMessageError.None;
    }

    // The fields of the record seen so far (copied: a later record field merges into them).
    private struct RecordParts
    {
        public byte[]? Key;
        public byte[]? Value;
        public byte[]? Time;
    }

    private static KadMessageError MergeRecord(ReadOnlySpan<byte> body, ref RecordParts parts)
    {
        var reader = new ProtobufSpanReader(body);
        while (!reader.IsAtEnd)
        {
            if (reader.ReadTag(out int field, out int wire) != ProtobufReadError.None)
            {
                return KadMessageError.MalformedProtobuf;
            }
            KadMessageError error;
            ReadOnlySpan<byte> value;
            switch (field)
            {
                case 1:
                    error = ReadBytes(ref reader, wire, out value);
                    parts.Key = value.ToArray();
                    break;
                case 2:
                    error = ReadBytes(ref reader, wire, out value);
                    parts.Value = value.ToArray();
                    break;
                case 5:
                    error = ReadBytes(ref reader, wire, out value);
                    parts.Time = value.ToArray();
                    break;
                default:
                    // Includes the removed author (3) and signature (4) fields.
                    error = reader.SkipField(field, wire) == ProtobufReadError.None ? KadMessageError.None : KadMessageError.MalformedProtobuf;
                    break;
            }
            if (error != KadMessageError.None)
            {
                return error;
            }
        }
        return KadMessageError.None;
    }

    private static KadMessageError ParsePeer(ReadOnlySpan<byte> body, out KadPeer? peer)
    {
        peer = null;
        var reader = new ProtobufSpanReader(body);
        ReadOnlySpan<byte> id = default;
        bool hasId = false;
        List<Multiaddr>? addresses = null;
        var connection = KadConnectionType.NotConnected;
        while (!reader.IsAtEnd)
        {
            if (reader.ReadTag(out int field, out int wire) != ProtobufReadError.None)
            {
                return KadMessageError.MalformedProtobuf;
            }
            KadMessageError error;
            switch (field)
            {
                case 1:
                    error = ReadBytes(ref reader, wire, out id);
                    hasId = true;
                    break;
                case 2:
                    error = ReadBytes(ref reader, wire, out ReadOnlySpan<byte> rawAddress);
                    if (error == KadMessageError.None)
                    {
                        addresses ??= [];
                        if (addresses.Count >= MaxAddressesPerPeer)
                        {
                            return KadMessageError.TooManyEntries;
                        }
                        if (Multiaddr.TryRead(rawAddress, out Multiaddr? address))
                        {
                            addresses.Add(address);
                        }
                    }
                    break;
                case 3:
                    if (wire != ProtobufSpanReader.WireVarint)
                    {
                        return KadMessageError.WrongWireType;
                    }
                    if (reader.ReadVarint(out ulong rawConnection) != ProtobufReadError.None)
                    {
                        return KadMessageError.MalformedProtobuf;
                    }
                    // Advisory; an unknown value means nothing known.
                    connection = rawConnection <= (ulong)KadConnectionType.CannotConnect ? (KadConnectionType)rawConnection : KadConnectionType.NotConnected;
                    error = KadMessageError.None;
                    break;
                default:
                    error = reader.SkipField(field, wire) == ProtobufReadError.None ? KadMessageError.None : KadMessageError.MalformedProtobuf;
                    break;
            }
            if (error != KadMessageError.None)
            {
                return error;
            }
        }
        if (!hasId || !PeerId.TryFromBytes(id, out PeerId peerId))
        {
            return KadMessageError.InvalidPeerId;
        }
        peer = new KadPeer(peerId, addresses is null ? [] : addresses.ToArray(), connection);
        return KadMessageError.None;
    }

    // ---- writing ---------------------------------------------------------------------------------------------------

    /// <summary>Size of the protobuf body of <paramref name="message"/> (without the length prefix).</summary>
    public static int GetBodyLength(KadMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long length = 0;
        if (message.Type != KadMessageType.PutValue)
        {
            length += 1 + VarintLength((ulong)message.Type);
        }
        if (!message.Key.IsEmpty)
        {
            length += FieldLength(message.Key.Length);
        }
        if (message.Record is { } record)
        {
            length += FieldLength(GetRecordLength(record));
        }
        // Indexed loops: foreach over an IReadOnlyList boxes its enumerator (an allocation per list per pass).
        IReadOnlyList<KadPeer> closer = message.CloserPeers, providers = message.ProviderPeers;
        for (int i = 0; i < closer.Count; i++)
        {
            length += FieldLength(GetPeerLength(closer[i]));
        }
        for (int i = 0; i < providers.Count; i++)
        {
            length += FieldLength(GetPeerLength(providers[i]));
        }
        if (message.ClusterLevelRaw != 0)
        {
            length += 1 + VarintLength(unchecked((ulong)(long)message.ClusterLevelRaw));
        }
        if (length > int.MaxValue)
        {
            throw new ArgumentException("The message is larger than 2 GiB.", nameof(message));
        }
        return (int)length;
    }

    /// <summary>Size of the framed message: uvarint(body length) ‖ body.</summary>
    public static int GetFrameLength(KadMessage message)
    {
        int body = GetBodyLength(message);
        return Uvarint.GetByteCount((ulong)body) + body;
    }

    /// <summary>Writes the framed message; false (nothing meaningful written) when <paramref name="destination"/> is too short.</summary>
    public static bool TryWriteFrame(Span<byte> destination, KadMessage message, out int bytesWritten)
    {
        int body = GetBodyLength(message);
        int prefix = Uvarint.GetByteCount((ulong)body);
        if (destination.Length < prefix + body)
        {
            bytesWritten = 0;
            return false;
        }
        Uvarint.TryWrite(destination, (ulong)body, out _);
        int written = WriteBody(destination.Slice(prefix, body), message);
        bytesWritten = prefix + written;
        return true;
    }

    /// <summary>
    /// Writes the framed message into <paramref name="writer"/> (one <c>GetSpan</c>/<c>Advance</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The framed message is larger than <paramref name="maxMessageSize"/>.</exception>
    public static int WriteFrame(IBufferWriter<byte> writer, KadMessage message, int maxMessageSize = DefaultMaxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int body = GetBodyLength(message);
        if (body > maxMessageSize)
        {
            throw new ArgumentException($"The kad message is {body} bytes; the limit is {maxMessageSize}.", nameof(message));
        }
        int prefix = Uvarint.GetByteCount((ulong)body);
        Span<byte> span = writer.GetSpan(prefix + body);
        Uvarint.TryWrite(span, (ulong)body, out _);
        WriteBody(span.Slice(prefix, body), message);
        writer.Advance(prefix + body);
        return prefix + body;
    }

    /// <summary>The framed message as a new array (tests, tools).</summary>
    public static byte[] ToFrame(KadMessage message)
    {
        byte[] frame = new byte[GetFrameLength(message)];
        TryWriteFrame(frame, message, out _);
        return frame;
    }

    // destination is exactly GetBodyLength(message) long.
    private static int WriteBody(Span<byte> destination, KadMessage message)
    {
        int pos = 0;
        if (message.Type != KadMessageType.PutValue)
        {
            destination[pos++] = TagType;
            pos += WriteVarint(destination[pos..], (ulong)message.Type);
        }
        if (!message.Key.IsEmpty)
        {
            pos += WriteBytes(destination[pos..], TagKey, message.Key.Span);
        }
        if (message.Record is { } record)
        {
            destination[pos++] = TagRecord;
            pos += WriteVarint(destination[pos..], (ulong)GetRecordLength(record));
            if (!record.Key.IsEmpty)
            {
                pos += WriteBytes(destination[pos..], TagRecordKey, record.Key.Span);
            }
            if (!record.Value.IsEmpty)
            {
                pos += WriteBytes(destination[pos..], TagRecordValue, record.Value.Span);
            }
            if (!string.IsNullOrEmpty(record.TimeReceived))
            {
                destination[pos++] = TagRecordTimeReceived;
                int utf8 = Encoding.UTF8.GetByteCount(record.TimeReceived);
                pos += WriteVarint(destination[pos..], (ulong)utf8);
                pos += Encoding.UTF8.GetBytes(record.TimeReceived, destination[pos..]);
            }
        }
        IReadOnlyList<KadPeer> closer = message.CloserPeers, providers = message.ProviderPeers;
        for (int i = 0; i < closer.Count; i++)
        {
            pos += WritePeer(destination[pos..], TagCloserPeers, closer[i]);
        }
        for (int i = 0; i < providers.Count; i++)
        {
            pos += WritePeer(destination[pos..], TagProviderPeers, providers[i]);
        }
        if (message.ClusterLevelRaw != 0)
        {
            destination[pos++] = TagClusterLevel;
            pos += WriteVarint(destination[pos..], unchecked((ulong)(long)message.ClusterLevelRaw));
        }
        return pos;
    }

    private static int WritePeer(Span<byte> destination, byte tag, KadPeer peer)
    {
        int pos = 0;
        destination[pos++] = tag;
        pos += WriteVarint(destination[pos..], (ulong)GetPeerLength(peer));
        pos += WriteBytes(destination[pos..], TagPeerId, peer.Id.Bytes);
        IReadOnlyList<Multiaddr> addresses = peer.Addresses;
        for (int i = 0; i < addresses.Count; i++)
        {
            pos += WriteBytes(destination[pos..], TagPeerAddrs, addresses[i].Span);
        }
        if (peer.Connection != KadConnectionType.NotConnected)
        {
            destination[pos++] = TagPeerConnection;
            pos += WriteVarint(destination[pos..], (ulong)peer.Connection);
        }
        return pos;
    }

    private static long GetRecordLength(KadRecord record)
    {
        long length = 0;
        if (!record.Key.IsEmpty)
        {
            length += FieldLength(record.Key.Length);
        }
        if (!record.Value.IsEmpty)
        {
            length += FieldLength(record.Value.Length);
        }
        if (!string.IsNullOrEmpty(record.TimeReceived))
        {
            length += FieldLength(Encoding.UTF8.GetByteCount(record.TimeReceived));
        }
        return length;
    }

    private static long GetPeerLength(KadPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.Id.IsEmpty)
        {
            throw new ArgumentException("A kad peer entry needs a peer id.", nameof(peer));
        }
        long length = FieldLength(peer.Id.Bytes.Length);
        IReadOnlyList<Multiaddr> addresses = peer.Addresses;
        for (int i = 0; i < addresses.Count; i++)
        {
            length += FieldLength(addresses[i].Span.Length);
        }
        if (peer.Connection != KadConnectionType.NotConnected)
        {
            length += 1 + VarintLength((ulong)peer.Connection);
        }
        return length;
    }

    private static long FieldLength(long payload) => 1 + VarintLength((ulong)payload) + payload;

    private static int VarintLength(ulong value) => ((63 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7) + 1;

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    private static int WriteBytes(Span<byte> destination, byte tag, ReadOnlySpan<byte> value)
    {
        destination[0] = tag;
        int pos = 1 + WriteVarint(destination[1..], (ulong)value.Length);
        value.CopyTo(destination[pos..]);
        return pos + value.Length;
    }

    /// <summary>Reads a length-delimited field whose tag (with <paramref name="wireType"/>) has just been read.</summary>
    private static KadMessageError ReadBytes(scoped ref ProtobufSpanReader reader, int wireType, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (wireType != ProtobufSpanReader.WireLengthDelimited)
        {
            return KadMessageError.WrongWireType;
        }
        return reader.ReadLengthDelimited(out value) == ProtobufReadError.None ? KadMessageError.None : KadMessageError.MalformedProtobuf;
    }
}
