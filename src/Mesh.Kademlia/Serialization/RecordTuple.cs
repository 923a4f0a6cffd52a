using System.Buffers.Binary;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Typed fast path for <c>MSGPackSerializer.dumps((key, subkey, value, expiration_time))</c> with three bytes and a
/// float: the payload <c>SignatureValidator</c> signs and verifies (mesh-reference §2,
/// <c>dataclasses.astuple(DHTRecord)</c>). Written straight into a span, no value tree.
/// <code>
/// ext 0x40 header (fixext/ext8/ext16/ext32 by payload length)
///   94                      fixarray(4)
///   c4|c5|c6 len key        bin
///   c4|c5|c6 len subkey     bin
///   c4|c5|c6 len value      bin
///   cb f64be                float64 expiration_time
/// </code>
/// </summary>
public static class RecordTuple
{
    public static int GetEncodedLength(int keyLength, int subkeyLength, int valueLength)
    {
        int payload = GetPayloadLength(keyLength, subkeyLength, valueLength);
        return MsgPackFormat.ExtensionHeaderLength(payload) + payload;
    }

    public static bool TryWrite(
        Span<byte> destination,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> subkey,
        ReadOnlySpan<byte> value,
        double expirationTime,
        out int written)
    {
        int payload = GetPayloadLength(key.Length, subkey.Length, value.Length);
        int total = MsgPackFormat.ExtensionHeaderLength(payload) + payload;
        if (destination.Length < total)
        {
            written = 0;
            return false;
        }
        int pos = WriteExtensionHeader(destination, MsgPackExtensionCodes.Tuple, payload);
        destination[pos++] = 0x94;
        pos += WriteBinary(destination[pos..], key);
        pos += WriteBinary(destination[pos..], subkey);
        pos += WriteBinary(destination[pos..], value);
        WriteFloat64(destination[pos..], expirationTime);
        written = total;
        return true;
    }

    /// <summary>
    /// The same, with the value given in two parts (<paramref name="valueHead"/> then <paramref name="valueTail"/>): how a
    /// validator rebuilds the unsigned payload of a signed value without first copying the value minus its marker.
    /// </summary>
    internal static bool TryWrite(
        Span<byte> destination,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> subkey,
        ReadOnlySpan<byte> valueHead,
        ReadOnlySpan<byte> valueTail,
        double expirationTime,
        out int written)
    {
        int valueLength = valueHead.Length + valueTail.Length;
        int payload = GetPayloadLength(key.Length, subkey.Length, valueLength);
        int total = MsgPackFormat.ExtensionHeaderLength(payload) + payload;
        if (destination.Length < total)
        {
            written = 0;
            return false;
        }
        int pos = WriteExtensionHeader(destination, MsgPackExtensionCodes.Tuple, payload);
        destination[pos++] = 0x94;
        pos += WriteBinary(destination[pos..], key);
        pos += WriteBinary(destination[pos..], subkey);
        pos += MsgPackSerializer.WriteBinaryHeader(destination[pos..], valueLength);
        valueHead.CopyTo(destination[pos..]);
        valueTail.CopyTo(destination[(pos + valueHead.Length)..]);
        pos += valueLength;
        WriteFloat64(destination[pos..], expirationTime);
        written = total;
        return true;
    }

    public static byte[] Serialize(ReadOnlySpan<byte> key, ReadOnlySpan<byte> subkey, ReadOnlySpan<byte> value, double expirationTime)
    {
        byte[] result = GC.AllocateUninitializedArray<byte>(GetEncodedLength(key.Length, subkey.Length, value.Length));
        TryWrite(result, key, subkey, value, expirationTime, out _);
        return result;
    }

    private static int GetPayloadLength(int keyLength, int subkeyLength, int valueLength)
    {
        long payload = 1L
            + MsgPackFormat.BinaryLength(keyLength)
            + MsgPackFormat.BinaryLength(subkeyLength)
            + MsgPackFormat.BinaryLength(valueLength)
            + MsgPackFormat.Float64Length;
        if (payload > int.MaxValue - 6)
        {
            throw new ArgumentException("The record is too large to encode.");
        }
        return (int)payload;
    }

    private static int WriteBinary(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        int header = MsgPackSerializer.WriteBinaryHeader(destination, bytes.Length);
        bytes.CopyTo(destination[header..]);
        return header + bytes.Length;
    }

    internal static void WriteFloat64(Span<byte> destination, double value)
    {
        destination[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(destination[1..], value);
    }

    /// <summary>Extension header exactly as msgpack-python picks it: fixext for 1/2/4/8/16, else ext8/16/32.</summary>
    internal static int WriteExtensionHeader(Span<byte> destination, sbyte typeCode, int payloadLength)
    {
        switch (payloadLength)
        {
            case 1 or 2 or 4 or 8 or 16:
                destination[0] = payloadLength switch { 1 => 0xd4, 2 => 0xd5, 4 => 0xd6, 8 => 0xd7, _ => 0xd8 };
                destination[1] = unchecked((byte)typeCode);
                return 2;
            case <= byte.MaxValue:
                destination[0] = 0xc7;
                destination[1] = (byte)payloadLength;
                destination[2] = unchecked((byte)typeCode);
                return 3;
            case <= ushort.MaxValue:
                destination[0] = 0xc8;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)payloadLength);
                destination[3] = unchecked((byte)typeCode);
                return 4;
            default:
                destination[0] = 0xc9;
                BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)payloadLength);
                destination[5] = unchecked((byte)typeCode);
                return 6;
        }
    }
}
