using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Mesh.Multistream;

/// <summary>
/// multistream-select 1.0 messages (multiformats/multistream-select README; libp2p specs connections/README.md),
/// as pure functions over sequences and buffer writers:
/// <code>
///   message      = uvarint(len) || body || '\n'          len counts the '\n'
///   header       = 13 "/multistream/1.0.0" 0a
///   na           = 03 "na" 0a                             ls = 03 "ls" 0a
///   ls response  = uvarint(total) || (uvarint(len) || proto || '\n')* || '\n'
/// </code>
/// Limits (js-libp2p and rust-libp2p agree): a protocol id is at most <see cref="MaxProtocolLength"/> bytes and a
/// length prefix at most 2 bytes (<see cref="MaxMessageLength"/>). Both are checked from the prefix, before the
/// body is buffered.
/// </summary>
public static class MultistreamCodec
{
    /// <summary>The protocol id of multistream-select itself, exchanged as the first message by both sides.</summary>
    public const string ProtocolId = "/multistream/1.0.0";

    /// <summary>The responder's "not available" answer.</summary>
    public const string NotAvailable = "na";

    /// <summary>The initiator's request for the responder's protocol list.</summary>
    public const string List = "ls";

    /// <summary>Longest protocol id, in UTF-8 bytes, without the newline (js-libp2p MAX_PROTOCOL_LENGTH).</summary>
    public const int MaxProtocolLength = 1024;

    /// <summary>Longest message body plus newline a 2-byte length prefix can declare (an <c>ls</c> response at most).</summary>
    public const int MaxMessageLength = 16383;

    private static ReadOnlySpan<byte> HeaderMessage => "\u0013/multistream/1.0.0\n"u8;

    private static ReadOnlySpan<byte> NotAvailableMessage => "\u0003na\n"u8;

    private static ReadOnlySpan<byte> ListMessage => "\u0003ls\n"u8;

    /// <summary>
    /// Reads one message whose length (newline included) is at most <see cref="MaxProtocolLength"/> + 1: a header,
    /// a protocol proposal or echo, <c>na</c> or <c>ls</c>.
    /// </summary>
    public static OperationStatus TryReadMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> body, out MultistreamError error) =>
        TryReadMessage(ref buffer, MaxProtocolLength + 1, out body, out error);

    /// <summary>
    /// Reads one message: on <see cref="OperationStatus.Done"/>, <paramref name="body"/> is the message without its
    /// newline (a slice of the input) and <paramref name="buffer"/> is sliced past the message. Otherwise the buffer
    /// is untouched. <paramref name="maxLength"/> bounds the declared length (newline included) and is itself capped at
    /// <see cref="MaxMessageLength"/>; use the larger bound only to read an <c>ls</c> response.
    /// </summary>
    public static OperationStatus TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> body, out MultistreamError error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        maxLength = Math.Min(maxLength, MaxMessageLength);

        // Hot path: the whole message is in the first segment (negotiation messages are tiny): parse the span, slice once.
        OperationStatus status = LengthPrefixed.TryRead(buffer.FirstSpan, maxLength, out ReadOnlySpan<byte> span, out int consumed, out FramingError framing);
        if (status == OperationStatus.Done)
        {
            if (span.IsEmpty || span[^1] != (byte)'\n')
            {
                body = default;
                error = MultistreamError.MissingNewline;
                return OperationStatus.InvalidData;
            }
            body = buffer.Slice(consumed - span.Length, span.Length - 1);
            buffer = buffer.Slice(consumed);
            error = MultistreamError.None;
            return OperationStatus.Done;
        }

        ReadOnlySequence<byte> rest = buffer;
        status = LengthPrefixed.TryRead(ref rest, maxLength, out ReadOnlySequence<byte> message, out framing);
        if (status != OperationStatus.Done)
        {
            body = default;
            error = framing switch
            {
                FramingError.MessageTooLarge => MultistreamError.MessageTooLarge,
                FramingError.InvalidLengthPrefix => MultistreamError.InvalidLengthPrefix,
                _ => MultistreamError.None,
            };
            return status;
        }
        if (message.IsEmpty || LastByte(message) != (byte)'\n')
        {
            body = default;
            error = MultistreamError.MissingNewline;
            return OperationStatus.InvalidData;
        }
        body = message.Slice(0, message.Length - 1);
        buffer = rest;
        error = MultistreamError.None;
        return OperationStatus.Done;
    }

    /// <summary>True when <paramref name="body"/> is exactly the UTF-8 of <paramref name="text"/>. Allocates nothing.</summary>
    public static bool BodyEquals(in ReadOnlySequence<byte> body, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // UTF-8 never has fewer bytes than UTF-16 has units, nor more than three per unit.
        if (body.Length > MaxProtocolLength || body.Length < text.Length || body.Length > (long)text.Length * 3)
        {
            return false;
        }
        // Protocol ids are ASCII in practice: compare bytes to chars directly, no encoding step.
        if (body.IsSingleSegment && body.Length == text.Length && Ascii.Equals(body.FirstSpan, text))
        {
            return true;
        }
        int length = (int)body.Length;
        Span<byte> scratch = stackalloc byte[2 * length];
        Span<byte> expected = scratch[..length];
        if (!Encoding.UTF8.TryGetBytes(text, expected, out int n) || n != length)
        {
            return false;
        }
        ReadOnlySpan<byte> actual = body.IsSingleSegment ? body.FirstSpan : CopyTo(body, scratch[length..]);
        return actual.SequenceEqual(expected);
    }

    /// <summary>
    /// Decodes a proposal or echo body as a protocol id: non-empty, valid UTF-8, no newline, at most
    /// <see cref="MaxProtocolLength"/> bytes. Allocates the string.
    /// </summary>
    public static bool TryDecodeProtocol(in ReadOnlySequence<byte> body, out string protocol)
    {
        protocol = string.Empty;
        if (body.IsEmpty || body.Length > MaxProtocolLength)
        {
            return false;
        }
        ReadOnlySpan<byte> utf8 = body.IsSingleSegment ? body.FirstSpan : CopyTo(body, stackalloc byte[(int)body.Length]);
        if (!Utf8.IsValid(utf8) || utf8.Contains((byte)'\n'))
        {
            return false;
        }
        protocol = Encoding.UTF8.GetString(utf8);
        return true;
    }

    /// <summary>True when <paramref name="protocol"/> can be proposed: non-empty, no newline, UTF-8 at most <see cref="MaxProtocolLength"/> bytes.</summary>
    public static bool IsValidProtocolId(string? protocol)
    {
        if (string.IsNullOrEmpty(protocol) || protocol.Length > MaxProtocolLength || protocol.Contains('\n'))
        {
            return false;
        }
        // Lone surrogates (InvalidData) and ids over the byte limit (DestinationTooSmall) are both refused.
        Span<byte> utf8 = stackalloc byte[MaxProtocolLength];
        return Utf8.FromUtf16(protocol, utf8, out _, out _, replaceInvalidSequences: false) == OperationStatus.Done;
    }

    /// <summary>Parses the body of an <c>ls</c> response (its final newline already removed by <see cref="TryReadMessage(ref ReadOnlySequence{byte}, int, out ReadOnlySequence{byte}, out MultistreamError)"/>).</summary>
    public static bool TryParseListResponse(in ReadOnlySequence<byte> body, ICollection<string> protocols)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        ReadOnlySequence<byte> rest = body;
        while (!rest.IsEmpty)
        {
            if (TryReadMessage(ref rest, out ReadOnlySequence<byte> item, out _) != OperationStatus.Done || !TryDecodeProtocol(item, out string protocol))
            {
                return false;
            }
            protocols.Add(protocol);
        }
        return true;
    }

    /// <summary>The encoded size of a message whose body is <paramref name="bodyLength"/> bytes.</summary>
    public static int GetMessageByteCount(int bodyLength) => LengthPrefixed.GetByteCount(bodyLength + 1);

    /// <summary>Writes <c>/multistream/1.0.0</c>.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer) => writer.Write(HeaderMessage);

    /// <summary>Writes <c>na</c>.</summary>
    public static void WriteNotAvailable(IBufferWriter<byte> writer) => writer.Write(NotAvailableMessage);

    /// <summary>Writes <c>ls</c>.</summary>
    public static void WriteListRequest(IBufferWriter<byte> writer) => writer.Write(ListMessage);

    /// <summary>Writes one message carrying <paramref name="protocol"/> (a proposal or an echo).</summary>
    /// <exception cref="ArgumentException">Not a valid protocol id (see <see cref="IsValidProtocolId"/>).</exception>
    public static void WriteMessage(IBufferWriter<byte> writer, string protocol)
    {
        ArgumentNullException.ThrowIfNull(writer);
        RequireValidProtocolId(protocol);
        int n = Encoding.UTF8.GetByteCount(protocol);
        int total = GetMessageByteCount(n);
        Span<byte> span = writer.GetSpan(total);
        Uvarint.TryWrite(span, (ulong)(n + 1), out int prefix);
        Encoding.UTF8.GetBytes(protocol, span[prefix..]);
        span[prefix + n] = (byte)'\n';
        writer.Advance(total);
    }

    /// <summary>
    /// Writes an <c>ls</c> response listing <paramref name="protocols"/>. Entries that would push the response past
    /// <see cref="MaxMessageLength"/> are left out: <c>ls</c> is advisory and peers must not depend on it.
    /// </summary>
    public static void WriteListResponse(IBufferWriter<byte> writer, IEnumerable<string> protocols)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(protocols);
        int inner = 0;
        var included = new List<string>();
        foreach (string protocol in protocols)
        {
            if (!IsValidProtocolId(protocol))
            {
                continue;
            }
            int size = GetMessageByteCount(Encoding.UTF8.GetByteCount(protocol));
            if (inner + size + 1 > MaxMessageLength)
            {
                break;
            }
            inner += size;
            included.Add(protocol);
        }
        Uvarint.Write(writer, (ulong)(inner + 1));
        foreach (string protocol in included)
        {
            WriteMessage(writer, protocol);
        }
        writer.Write("\n"u8);
    }

    internal static void RequireValidProtocolId(string protocol)
    {
        if (!IsValidProtocolId(protocol))
        {
            throw new ArgumentException($"not a valid protocol id (non-empty, no newline, at most {MaxProtocolLength} UTF-8 bytes): '{protocol}'", nameof(protocol));
        }
    }

    private static ReadOnlySpan<byte> CopyTo(in ReadOnlySequence<byte> sequence, Span<byte> destination)
    {
        sequence.CopyTo(destination);
        return destination[..(int)sequence.Length];
    }

    private static byte LastByte(in ReadOnlySequence<byte> sequence)
    {
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan[^1];
        }
        Span<byte> last = stackalloc byte[1];
        sequence.Slice(sequence.Length - 1).CopyTo(last);
        return last[0];
    }
}
