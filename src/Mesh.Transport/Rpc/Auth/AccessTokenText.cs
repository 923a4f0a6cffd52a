using System.Buffers;
using System.Text;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// The text an access token's signature covers, mesh <c>SignatureAuthorizer._token_to_bytes</c>:
/// <code>
///   f"{username} {public_key} {expiration_time}".encode()
///   e.g.  " b'ssh-ed25519 AAAAC3Nz…' 2023-11-14 22:14:20.250000+00:00"   (username empty; public_key is bytes → repr)
/// </code>
/// </summary>
public static class AccessTokenText
{
    /// <summary>The UTF-8 bytes mesh signs for <paramref name="token"/>.</summary>
    public static byte[] ToBytes(AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(GetMaxLength(token));
        try
        {
            int length = Write(token, buffer);
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static int GetMaxLength(AccessToken token) =>
        Encoding.UTF8.GetByteCount(token.Username) + 1 + PythonText.MaxBytesReprLength(token.PublicKey.Length) + 1
        + Encoding.UTF8.GetByteCount(token.ExpirationTime);

    internal static int Write(AccessToken token, Span<byte> destination)
    {
        int pos = Encoding.UTF8.GetBytes(token.Username, destination);
        destination[pos++] = (byte)' ';
        pos += PythonText.WriteBytesRepr(token.PublicKey.Span, destination[pos..]);
        destination[pos++] = (byte)' ';
        pos += Encoding.UTF8.GetBytes(token.ExpirationTime, destination[pos..]);
        return pos;
    }
}
