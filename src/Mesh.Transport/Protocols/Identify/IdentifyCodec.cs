using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Mesh.Multistream;

namespace Mesh.Transport.Protocols.Identify;

/// <summary>
/// Span codec for <see cref="IdentifyMessage"/> framed as on the identify streams (libp2p identify spec):
/// <code>
///   uvarint(n) ‖ n bytes of Identify protobuf      (n ≤ 8 KiB when reading, ≤ 4 KiB for our own message)
/// </code>
/// Hand-written rather than generated: the message is tiny and read once per connection, so the gain is control, not
/// speed: every limit (message size, protocol count, field sizes) is checked while decoding, before anything is
/// allocated for a field; bad input yields an <see cref="IdentifyError"/> instead of Google.Protobuf's exception
/// type; and there is no generated code to keep trimming-safe.
/// </summary>
internal static class IdentifyCodec
{
    /// <summary>Largest message read (go-libp2p identify: 8 KiB for signed records).</summary>
    public const int MaxMessageSize = 8 * 1024;

    /// <summary>Largest message we send (go-libp2p: 4 KiB, "to be compatible with rust-libp2p").</summary>
    public const int MaxOwnMessageSize = 4 * 1024;

    /// <summary>Most protocols accepted from one peer (go-libp2p identify: 1024).</summary>
    public const int MaxProtocols = 1024;

    /// <summary>Most listen addresses accepted from one peer.</summary>
    public const int MaxListenAddrs = 128;

    /// <summary>Longest protocol id accepted (multistream-select's cap, js MAX_PROTOCOL_LENGTH).</summary>
    public const int MaxProtocolLength = 1024;

    /// <summary>Most length-prefixed messages merged from one stream (go-libp2p: 10).</summary>
    public const int MaxMessagesPerStream = 10;

    private const int TagPublicKey = 1 << 3 | 2;
    private const int TagListenAddrs = 2 << 3 | 2;
    private const int TagProtocols = 3 << 3 | 2;
    private const int TagObservedAddr = 4 << 3 | 2;
    private const int TagProtocolVersion = 5 << 3 | 2;
    private const int TagAgentVersion = 6 << 3 | 2;
    private const int TagSignedPeerRecord = 8 << 3 | 2;

    /// <summary>
    /// Reads one length-prefixed message from <paramref name="buffer"/> and merges it into <paramref name="into"/>
    /// (protobuf merge: later scalars win, repeated fields append, limits apply to the merged total).
    /// </summary>
    /// <returns>Done (buffer sliced past the message), NeedMoreData (buffer untouched), or InvalidData with
    /// <paramref name="error"/>. The size limit is checked on the length prefix, before the body is buffered.</returns>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, IdentifyMessage into, out IdentifyError error, int maxMessageSize = MaxMessageSize)
    {
        ReadOnlySequence<byte> rest = buffer;
        OperationStatus status = Uvarint.TryRead(ref rest, out ulong length, out _);
        if (status == OperationStatus.NeedMoreData)
        {
            error = IdentifyError.None;
            return status;
        }
        if (status != OperationStatus.Done)
        {
            error = IdentifyError.BadLengthPrefix;
            return OperationStatus.InvalidData;
        }
        if (length > (ulong)maxMessageSize)
        {
            error = IdentifyError.MessageTooLarge;
            return OperationStatus.InvalidData;
        }
        if (rest.Length < (long)length)
        {
            error = IdentifyError.None;
            return OperationStatus.NeedMoreData;
        }
        ReadOnlySequence<byte> body = rest.Slice(0, (long)length);
        if (body.IsSingleSegment)
        {
            error = Merge(body.FirstSpan, into);
        }
        else
        {
            byte[] scratch = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                body.CopyTo(scratch);
                error = Merge(scratch.AsSpan(0, (int)length), into);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
        if (error != IdentifyError.None)
        {
            return OperationStatus.InvalidData;
        }
        buffer = rest.Slice(body.End);
        return OperationStatus.Done;
    }

    /// <summary>Merges one protobuf body (no length prefix) into <paramref name="into"/>.</summary>
    public static IdentifyError Merge(ReadOnlySpan<byte> body, IdentifyMessage into)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadVarint(body, ref pos, out ulong tag) || tag > uint.MaxValue || tag >> 3 == 0)
            {
                return IdentifyError.MalformedProtobuf;
            }
            int wireType = (int)(tag & 7);
            switch ((int)tag)
            {
                case TagPublicKey:
                case TagListenAddrs:
                case TagProtocols:
                case TagObservedAddr:
                case TagProtocolVersion:
                case TagAgentVersion:
                case TagSignedPeerRecord:
                    if (!TryReadLengthDelimited(body, ref pos, out ReadOnlySpan<byte> value))
                    {
                        return IdentifyError.MalformedProtobuf;
                    }
                    IdentifyError fieldError = ApplyField((int)tag, value, into);
                    if (fieldError != IdentifyError.None)
                    {
                        return fieldError;
                    }
                    break;
                default:
                    int field = (int)(tag >> 3);
                    if (field is 1 or 2 or 3 or 4 or 5 or 6 or 8)
                    {
                        return IdentifyError.WrongWireType;
                    }
                    if (!TrySkip(body, ref pos, wireType))
                    {
                        return IdentifyError.MalformedProtobuf;
                    }
                    break;
            }
        }
        return IdentifyError.None;
    }

    private static IdentifyError ApplyField(int tag, ReadOnlySpan<byte> value, IdentifyMessage into)
    {
        switch (tag)
        {
            case TagPublicKey:
                into.PublicKey = value.ToArray();
                return IdentifyError.None;
            case TagListenAddrs:
                if (into.ListenAddrs.Count >= MaxListenAddrs)
                {
                    return IdentifyError.TooManyEntries;
                }
                into.ListenAddrs.Add(value.ToArray());
                return IdentifyError.None;
            case TagObservedAddr:
                into.ObservedAddr = value.ToArray();
                return IdentifyError.None;
            case TagSignedPeerRecord:
                into.SignedPeerRecord = value.ToArray();
                return IdentifyError.None;
            case TagProtocols:
                if (into.Protocols.Count >= MaxProtocols || value.Length > MaxProtocolLength)
                {
                    return IdentifyError.TooManyEntries;
                }
                if (!Utf8.IsValid(value))
                {
                    return IdentifyError.InvalidUtf8;
                }
                into.Protocols.Add(ProtocolNames.Intern(value));
                return IdentifyError.None;
            case TagProtocolVersion:
            case TagAgentVersion:
                if (!Utf8.IsValid(value))
                {
                    return IdentifyError.InvalidUtf8;
                }
                string text = Encoding.UTF8.GetString(value);
                if (tag == TagAgentVersion)
                {
                    into.AgentVersion = text;
                }
                else
                {
                    into.ProtocolVersion = text;
                }
                return IdentifyError.None;
            default:
                return IdentifyError.MalformedProtobuf;
        }
    }

    /// <summary>Bytes of the protobuf body (without the length prefix).</summary>
    public static int GetBodyLength(IdentifyMessage message)
    {
        int n = 0;
        if (message.PublicKey is { } pk)
        {
            n += FieldLength(pk.Length);
        }
        foreach (byte[] a in message.ListenAddrs)
        {
            n += FieldLength(a.Length);
        }
        foreach (string p in message.Protocols)
        {
            n += FieldLength(Encoding.UTF8.GetByteCount(p));
        }
        if (message.ObservedAddr is { } observed)
        {
            n += FieldLength(observed.Length);
        }
        if (message.ProtocolVersion is { } pv)
        {
            n += FieldLength(Encoding.UTF8.GetByteCount(pv));
        }
        if (message.AgentVersion is { } av)
        {
            n += FieldLength(Encoding.UTF8.GetByteCount(av));
        }
        if (message.SignedPeerRecord is { } spr)
        {
            n += FieldLength(spr.Length);
        }
        return n;
    }

    /// <summary>Writes <c>uvarint(len) ‖ body</c>; fields in field-number order (canonical protobuf).</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, IdentifyMessage message)
    {
        int bodyLength = GetBodyLength(message);
        int total = Uvarint.GetByteCount((ulong)bodyLength) + bodyLength;
        Span<byte> span = writer.GetSpan(total);
        Uvarint.TryWrite(span, (ulong)bodyLength, out int pos);
        if (message.PublicKey is { } pk)
        {
            WriteField(span, ref pos, TagPublicKey, pk);
        }
        foreach (byte[] a in message.ListenAddrs)
        {
            WriteField(span, ref pos, TagListenAddrs, a);
        }
        foreach (string p in message.Protocols)
        {
            WriteStringField(span, ref pos, TagProtocols, p);
        }
        if (message.ObservedAddr is { } observed)
        {
            WriteField(span, ref pos, TagObservedAddr, observed);
        }
        if (message.ProtocolVersion is { } pv)
        {
            WriteStringField(span, ref pos, TagProtocolVersion, pv);
        }
        if (message.AgentVersion is { } av)
        {
            WriteStringField(span, ref pos, TagAgentVersion, av);
        }
        if (message.SignedPeerRecord is { } spr)
        {
            WriteField(span, ref pos, TagSignedPeerRecord, spr);
        }
        writer.Advance(pos);
    }

    private static int FieldLength(int valueLength) => 1 + Uvarint.GetByteCount((ulong)valueLength) + valueLength;

    private static void WriteField(Span<byte> span, ref int pos, int tag, ReadOnlySpan<byte> value)
    {
        span[pos++] = (byte)tag;
        Uvarint.TryWrite(span[pos..], (ulong)value.Length, out int n);
        pos += n;
        value.CopyTo(span[pos..]);
        pos += value.Length;
    }

    private static void WriteStringField(Span<byte> span, ref int pos, int tag, string value)
    {
        span[pos++] = (byte)tag;
        int length = Encoding.UTF8.GetByteCount(value);
        Uvarint.TryWrite(span[pos..], (ulong)length, out int n);
        pos += n;
        pos += Encoding.UTF8.GetBytes(value, span[pos..]);
    }

    // Protobuf varints (not multiformats): up to 10 bytes, non-minimal forms are legal protobuf.
    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10; i++)
        {
            if (pos >= data.Length)
            {
                return false;
            }
            byte b = data[pos++];
            if (i == 9 && b > 1)
            {
                return false;
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return true;
            }
        }
        return false;
    }

    private static bool TryReadLengthDelimited(ReadOnlySpan<byte> data, ref int pos, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(data, ref pos, out ulong length) || length > (ulong)(data.Length - pos))
        {
            return false;
        }
        value = data.Slice(pos, (int)length);
        pos += (int)length;
        return true;
    }

    private static bool TrySkip(ReadOnlySpan<byte> data, ref int pos, int wireType)
    {
        switch (wireType)
        {
            case 0:
                return TryReadVarint(data, ref pos, out _);
            case 1:
                if (data.Length - pos < 8)
                {
                    return false;
                }
                pos += 8;
                return true;
            case 2:
                return TryReadLengthDelimited(data, ref pos, out _);
            case 5:
                if (data.Length - pos < 4)
                {
                    return false;
                }
                pos += 4;
                return true;
            default:
                // Groups (3, 4) are deprecated and no libp2p implementation sends them; 6 and 7 do not exist.
                return false;
        }
    }
}
