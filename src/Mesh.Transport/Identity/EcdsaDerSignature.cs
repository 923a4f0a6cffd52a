namespace Mesh.Transport.Identity;

/// <summary>
/// The DER form of an ECDSA signature that libp2p uses for secp256k1 and ECDSA keys (RFC 3279 §2.2.3, X9.62;
/// BIP 66 for secp256k1), converted to and from the fixed-width r‖s form the signing primitives work with.
/// <code>
///   30 len  02 rlen r…  02 slen s…
///   SEQUENCE { r INTEGER, s INTEGER }   minimal lengths, minimal positive INTEGERs
/// </code>
/// Decoding is strict DER: one encoding per signature (no long-form lengths under 128, no padding zeros, no negative
/// or zero values, no trailing bytes), so a peer cannot produce several valid encodings of one signature.
/// </summary>
internal static class EcdsaDerSignature
{
    private const byte SequenceTag = 0x30;
    private const byte IntegerTag = 0x02;

    /// <summary>The longest DER signature for a curve whose scalars are <paramref name="fieldLength"/> bytes.</summary>
    public static int GetMaxLength(int fieldLength)
    {
        int integer = 2 + fieldLength + 1;  // tag, length, optional 0x00 sign byte, value
        int content = 2 * integer;
        return (content < 128 ? 2 : 3) + content;
    }

    /// <summary>
    /// Decodes a DER signature into <paramref name="rs"/> (r then s, each <paramref name="fieldLength"/> bytes,
    /// big-endian, zero-padded). Returns false for anything that is not strict DER with 0 &lt; r, s &lt; 2^(8·fieldLength).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> der, int fieldLength, Span<byte> rs)
    {
        if (der.Length < 2 || der[0] != SequenceTag)
        {
            return false;
        }
        int contentLength;
        int offset;
        if (der[1] < 0x80)
        {
            contentLength = der[1];
            offset = 2;
        }
        else if (der[1] == 0x81 && der.Length >= 3 && der[2] >= 0x80)
        {
            contentLength = der[2];
            offset = 3;
        }
        else
        {
            return false;
        }
        if (der.Length - offset != contentLength)
        {
            return false;
        }
        ReadOnlySpan<byte> content = der[offset..];
        if (!TryReadInteger(ref content, fieldLength, rs[..fieldLength])
            || !TryReadInteger(ref content, fieldLength, rs.Slice(fieldLength, fieldLength)))
        {
            return false;
        }
        return content.IsEmpty;
    }

    /// <summary>Encodes r and s (unsigned big-endian, any leading zeros) as a DER signature.</summary>
    public static bool TryEncode(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s, Span<byte> destination, out int bytesWritten)
    {
        if (r.IsEmpty || s.IsEmpty)
        {
            bytesWritten = 0;
            return false;
        }
        r = TrimLeadingZeros(r);
        s = TrimLeadingZeros(s);
        int rLength = r.Length + ((r[0] & 0x80) != 0 ? 1 : 0);
        int sLength = s.Length + ((s[0] & 0x80) != 0 ? 1 : 0);
        int content = 2 + rLength + 2 + sLength;
        int total = (content < 128 ? 2 : 3) + content;
        if (destination.Length < total || rLength > 127 || sLength > 127 || content > 255)
        {
            bytesWritten = 0;
            return false;
        }
        int i = 0;
        destination[i++] = SequenceTag;
        if (content >= 128)
        {
            destination[i++] = 0x81;
        }
        destination[i++] = (byte)content;
        i += WriteInteger(r, rLength, destination[i..]);
        i += WriteInteger(s, sLength, destination[i..]);
        bytesWritten = i;
        return true;
    }

    private static bool TryReadInteger(ref ReadOnlySpan<byte> content, int fieldLength, Span<byte> destination)
    {
        // Each INTEGER is at most fieldLength + 1 bytes (sign byte), so its length is always in short form.
        if (content.Length < 2 || content[0] != IntegerTag || content[1] >= 0x80)
        {
            return false;
        }
        int length = content[1];
        if (length == 0 || length > content.Length - 2)
        {
            return false;
        }
        ReadOnlySpan<byte> value = content.Slice(2, length);
        if ((value[0] & 0x80) != 0)
        {
            return false;  // negative
        }
        if (value[0] == 0)
        {
            if (length == 1 || (value[1] & 0x80) == 0)
            {
                return false;  // zero, or a non-minimal padding byte
            }
            value = value[1..];
        }
        if (value.Length > fieldLength)
        {
            return false;
        }
        destination[..(fieldLength - value.Length)].Clear();
        value.CopyTo(destination[(fieldLength - value.Length)..]);
        content = content[(2 + length)..];
        return true;
    }

    private static int WriteInteger(ReadOnlySpan<byte> value, int encodedLength, Span<byte> destination)
    {
        destination[0] = IntegerTag;
        destination[1] = (byte)encodedLength;
        int i = 2;
        if (encodedLength > value.Length)
        {
            destination[i++] = 0;
        }
        value.CopyTo(destination[i..]);
        return 2 + encodedLength;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }
        return value[i..];
    }
}
