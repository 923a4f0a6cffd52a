using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// Parsed OpenSSH public keys by their exact text (mesh <c>load_public_key_from_bytes</c>). Peers send the same few
/// keys over and over, and parsing one (base64, blob, Ed25519 point or RSA modulus validation) costs more than the
/// lookup; the cache is bounded and simply cleared when full.
/// </summary>
/// <remarks>Thread-safety: one lock around a dictionary lookup or insert. Keys are public data, so one process-wide
/// cache serves every authorizer.</remarks>
internal static class SignerKeyCache
{
    private const int Capacity = 4096;

    private static readonly Lock s_lock = new();
    private static readonly Dictionary<ByteString, PublicKey> s_keys = new();

    /// <summary>The RSA or Ed25519 key in OpenSSH text form; false for anything else (an empty field included).</summary>
    public static bool TryGet(ByteString openSshText, [NotNullWhen(true)] out PublicKey? key)
    {
        if (openSshText.IsEmpty || openSshText.Length > OpenSshPublicKey.MaxTextLength)
        {
            key = null;
            return false;
        }
        lock (s_lock)
        {
            if (s_keys.TryGetValue(openSshText, out key))
            {
                return true;
            }
        }
        if (!OpenSshPublicKey.TryParse(openSshText.Span, out key) || !MeshSignatureScheme.IsSupported(key.Type))
        {
            key = null;
            return false;
        }
        lock (s_lock)
        {
            if (s_keys.Count >= Capacity)
            {
                s_keys.Clear();
            }
            s_keys[openSshText] = key;
        }
        return true;
    }
}
