namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// Python's <c>base64.b64decode(s)</c> with its default <c>validate=False</c> (CPython 3.11
/// <c>binascii.a2b_base64</c>, non-strict), which mesh's <c>PublicKey.verify</c> applies to the base64 signature
/// text: characters outside the alphabet are skipped, decoding stops at a complete padding sequence, and a final
/// quad that is not whole is an error ("Incorrect padding"). Decoding the same way means a signature Python accepts
/// is accepted here too, not only the canonical form our signer writes.
/// </summary>
internal static class PythonBase64
{
    /// <summary>Upper bound of the decoded length of <paramref name="encodedLength"/> characters.</summary>
    public static int MaxDecodedLength(int encodedLength) => (encodedLength / 4 * 3) + 3;

    /// <summary>Decodes; false when Python would raise <c>binascii.Error</c>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int quadPos = 0;
        int leftChar = 0;
        int pads = 0;
        foreach (byte c in encoded)
        {
            if (c == '=')
            {
                // A pad only counts after two data characters of the quad; a complete pad sequence ends the input.
                if (quadPos >= 2 && quadPos + ++pads >= 4)
                {
                    return true;
                }
                continue;
            }
            int value = Decode(c);
            if (value < 0)
            {
                continue;
            }
            pads = 0;
            switch (quadPos)
            {
                case 0:
                    quadPos = 1;
                    leftChar = value;
                    break;
                case 1:
                    quadPos = 2;
                    destination[bytesWritten++] = (byte)((leftChar << 2) | (value >> 4));
                    leftChar = value & 0x0F;
                    break;
                case 2:
                    quadPos = 3;
                    destination[bytesWritten++] = (byte)((leftChar << 4) | (value >> 2));
                    leftChar = value & 0x03;
                    break;
                default:
                    quadPos = 0;
                    destination[bytesWritten++] = (byte)((leftChar << 6) | value);
                    leftChar = 0;
                    break;
            }
        }
        return quadPos == 0;
    }

    private static int Decode(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };
}
