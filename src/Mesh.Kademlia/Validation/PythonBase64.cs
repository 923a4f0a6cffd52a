namespace Mesh.Kademlia.Validation;

/// <summary>
/// <c>base64.b64decode(data)</c> as mesh's <c>PublicKey.verify</c> calls it (CPython 3.11
/// <c>binascii.a2b_base64(data, strict_mode=False)</c>): bytes outside the standard alphabet are skipped, a pad
/// sequence that completes a quantum ends the input, and a dangling quantum is an error ("Incorrect padding").
/// Matching it exactly keeps a signature marker valid here exactly when it is valid on a Python node.
/// </summary>
internal static class PythonBase64
{
    private static ReadOnlySpan<byte> Alphabet => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8;

    private static readonly sbyte[] s_decode = BuildTable();

    private static sbyte[] BuildTable()
    {
        var table = new sbyte[256];
        Array.Fill(table, (sbyte)-1);
        for (int i = 0; i < Alphabet.Length; i++)
        {
            table[Alphabet[i]] = (sbyte)i;
        }
        return table;
    }

    /// <summary>Upper bound of the decoded length.</summary>
    public static int GetMaxDecodedLength(int textLength) => textLength / 4 * 3 + 3;

    /// <summary>Decodes leniently; false where Python raises <c>binascii.Error</c>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, Span<byte> destination, out int written)
    {
        written = 0;
        int quadPos = 0, pads = 0;
        byte left = 0;
        foreach (byte c in text)
        {
            if (c == (byte)'=')
            {
                if (quadPos >= 2 && quadPos + ++pads >= 4)
                {
                    return true; // a complete pad sequence: the rest of the input is ignored
                }
                continue;
            }
            int v = s_decode[c];
            if (v < 0)
            {
                continue;
            }
            pads = 0;
            switch (quadPos)
            {
                case 0:
                    quadPos = 1;
                    left = (byte)v;
                    break;
                case 1:
                    quadPos = 2;
                    destination[written++] = (byte)((left << 2) | (v >> 4));
                    left = (byte)(v & 0x0f);
                    break;
                case 2:
                    quadPos = 3;
                    destination[written++] = (byte)((left << 4) | (v >> 2));
                    left = (byte)(v & 0x03);
                    break;
                default:
                    quadPos = 0;
                    destination[written++] = (byte)((left << 6) | v);
                    left = 0;
                    break;
            }
        }
        if (quadPos != 0)
        {
            written = 0;
            return false;
        }
        return true;
    }
}
