namespace Mesh.TestKit;

/// <summary>Lower-case hex helpers for golden vectors (which are lower-case, unprefixed).</summary>
public static class Hex
{
    public static byte[] Decode(string hex) =>
        Convert.FromHexString(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex);

    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
