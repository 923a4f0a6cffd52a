using System.Text;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// Record keys of the libp2p DHT are <c>/namespace/rest</c> (go-libp2p-record <c>splitPath</c>): a leading slash, a
/// non-empty namespace, a slash, then any bytes (for <c>/pk/</c> and <c>/ipns/</c>, a binary peer id).
/// </summary>
public static class KadRecordKey
{
    /// <summary>Splits <paramref name="key"/>; false when it has no <c>/namespace/</c> prefix.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> ns, out ReadOnlySpan<byte> rest)
    {
        ns = default;
        rest = default;
        if (key.Length < 3 || key[0] != (byte)'/')
        {
            return false;
        }
        int slash = key[1..].IndexOf((byte)'/');
        if (slash <= 0)
        {
            return false;
        }
        ns = key.Slice(1, slash);
        rest = key[(slash + 2)..];
        return true;
    }

    /// <summary><c>/ns/</c> followed by <paramref name="rest"/>.</summary>
    public static byte[] Create(string ns, ReadOnlySpan<byte> rest)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        if (ns.Contains('/'))
        {
            throw new ArgumentException("A namespace has no slash.", nameof(ns));
        }
        byte[] key = new byte[Encoding.UTF8.GetByteCount(ns) + 2 + rest.Length];
        key[0] = (byte)'/';
        int n = Encoding.UTF8.GetBytes(ns, key.AsSpan(1));
        key[1 + n] = (byte)'/';
        rest.CopyTo(key.AsSpan(2 + n));
        return key;
    }

    /// <summary>A printable form for logs and the CLI: UTF-8 when the key is text, else the namespace and hex.</summary>
    public static string Format(ReadOnlySpan<byte> key)
    {
        if (IsPrintable(key))
        {
            return Encoding.UTF8.GetString(key);
        }
        return TrySplit(key, out ReadOnlySpan<byte> ns, out ReadOnlySpan<byte> rest) && IsPrintable(ns)
            ? $"/{Encoding.UTF8.GetString(ns)}/0x{Convert.ToHexStringLower(rest)}"
            : "0x" + Convert.ToHexStringLower(key);
    }

    private static bool IsPrintable(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b < 0x20 || b > 0x7E)
            {
                return false;
            }
        }
        return true;
    }
}
