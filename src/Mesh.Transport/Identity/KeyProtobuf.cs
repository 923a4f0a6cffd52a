using System.Buffers;
using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>
/// The libp2p key protobuf shared by <c>PublicKey</c> and <c>PrivateKey</c> (peer-ids spec, "Keys"):
/// <code>
///   message PublicKey  { required KeyType Type = 1; required bytes Data = 2; }   // PrivateKey: same shape
///
///   +------+--------+------+-----------------+--------------------+
///   | 0x08 | Type   | 0x12 | len (varint)    | Data (len bytes)   |
///   +------+--------+------+-----------------+--------------------+
///     tag 1  varint   tag 2  minimal LEB128
/// </code>
/// The spec requires the deterministic form (minimal varints, tag order, every field present, nothing else), because
/// peer ids hash these bytes: a second encoding of the same key would be a second peer id. The reader therefore
/// accepts exactly that form, and the writer only produces it. The message is not self-delimiting: callers pass the
/// complete bytes (the outer message already framed them), so there is no "need more data" outcome, only truncation.
/// </summary>
internal static class KeyProtobuf
{
    private const byte TypeTag = (1 << 3) | 0;  // field 1, wire type 0 (varint)
    private const byte DataTag = (2 << 3) | 2;  // field 2, wire type 2 (length-delimited)

    /// <summary>The largest KeyType value this library knows.</summary>
    private const ulong MaxKnownKeyType = (ulong)KeyType.Ecdsa;

    /// <summary>Parses the whole of <paramref name="source"/> as a key message.</summary>
    /// <returns>False with <paramref name="error"/> and a human-readable <paramref name="reason"/> when it is not one.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, out KeyType type, out ReadOnlySpan<byte> data,
        out KeyFormatError error, out string? reason)
    {
        type = default;
        data = default;
        if (source.IsEmpty)
        {
            return Fail(KeyFormatError.Truncated, "empty key protobuf (the Type field is missing)", out error, out reason);
        }
        if (source[0] != TypeTag)
        {
            return Fail(KeyFormatError.NonCanonicalProtobuf,
                $"key protobuf must start with the Type field (tag 0x08), found 0x{source[0]:x2}", out error, out reason);
        }
        OperationStatus status = Uvarint.TryRead(source[1..], out ulong typeValue, out int typeLength, out VarintError varintError);
        if (status == OperationStatus.NeedMoreData)
        {
            return Fail(KeyFormatError.Truncated, "key protobuf ends inside the Type field", out error, out reason);
        }
        if (status == OperationStatus.InvalidData)
        {
            // A proto2 enum can legally be a 10-byte varint (negative values); no key type is that large.
            return varintError == VarintError.NonMinimal
                ? Fail(KeyFormatError.NonCanonicalProtobuf, "key protobuf Type is not a minimal varint", out error, out reason)
                : Fail(KeyFormatError.UnknownKeyType, "key protobuf Type is out of range", out error, out reason);
        }
        if (typeValue > MaxKnownKeyType)
        {
            return Fail(KeyFormatError.UnknownKeyType, $"unknown key type {typeValue}", out error, out reason);
        }
        int offset = 1 + typeLength;
        if (offset >= source.Length)
        {
            return Fail(KeyFormatError.Truncated, "key protobuf ends before the Data field", out error, out reason);
        }
        if (source[offset] != DataTag)
        {
            return Fail(KeyFormatError.NonCanonicalProtobuf,
                $"key protobuf field after Type must be Data (tag 0x12), found 0x{source[offset]:x2}", out error, out reason);
        }
        offset++;
        status = Uvarint.TryRead(source[offset..], out ulong dataLength, out int lengthLength, out varintError);
        if (status == OperationStatus.NeedMoreData)
        {
            return Fail(KeyFormatError.Truncated, "key protobuf ends inside the Data length", out error, out reason);
        }
        if (status == OperationStatus.InvalidData)
        {
            return varintError == VarintError.NonMinimal
                ? Fail(KeyFormatError.NonCanonicalProtobuf, "key protobuf Data length is not a minimal varint", out error, out reason)
                : Fail(KeyFormatError.Truncated, "key protobuf Data length exceeds the input", out error, out reason);
        }
        offset += lengthLength;
        int remaining = source.Length - offset;
        if (dataLength > (ulong)remaining)
        {
            return Fail(KeyFormatError.Truncated,
                $"key protobuf Data declares {dataLength} bytes but only {remaining} follow", out error, out reason);
        }
        if (dataLength < (ulong)remaining)
        {
            return Fail(KeyFormatError.NonCanonicalProtobuf,
                $"{remaining - (int)dataLength} unexpected bytes after the key protobuf Data field", out error, out reason);
        }
        type = (KeyType)typeValue;
        data = source.Slice(offset, (int)dataLength);
        error = KeyFormatError.None;
        reason = null;
        return true;
    }

    /// <summary>The encoded length of a key message whose Data is <paramref name="dataLength"/> bytes.</summary>
    public static int GetLength(int dataLength) => 1 + 1 + 1 + Uvarint.GetByteCount((ulong)dataLength) + dataLength;

    /// <summary>Writes the canonical key message; the destination must hold <see cref="GetLength"/> bytes.</summary>
    /// <returns>The number of bytes written.</returns>
    public static int Write(Span<byte> destination, KeyType type, ReadOnlySpan<byte> data)
    {
        int length = GetLength(data.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"destination is {destination.Length} bytes; the key protobuf needs {length}", nameof(destination));
        }
        destination[0] = TypeTag;
        destination[1] = (byte)type;  // 0..3: always a single-byte varint
        destination[2] = DataTag;
        Uvarint.TryWrite(destination[3..], (ulong)data.Length, out int lengthLength);
        data.CopyTo(destination[(3 + lengthLength)..]);
        return length;
    }

    private static bool Fail(KeyFormatError code, string message, out KeyFormatError error, out string? reason)
    {
        error = code;
        reason = message;
        return false;
    }
}
