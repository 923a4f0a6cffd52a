using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>A malformed peer id from a peer, a config file or the command line.</summary>
public sealed class PeerIdFormatException : MeshProtocolException
{
    public PeerIdFormatException(PeerIdFormatError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The specific reason.</summary>
    public PeerIdFormatError Error { get; }

    [DoesNotReturn]
    internal static void Throw(PeerIdFormatError error) => throw new PeerIdFormatException(error, Describe(error));

    internal static string Describe(PeerIdFormatError error) => error switch
    {
        PeerIdFormatError.Empty => "peer id is empty",
        PeerIdFormatError.TooLong => "peer id text is longer than any peer id can be",
        PeerIdFormatError.InvalidText => "peer id text is neither base58btc nor a multibase-encoded CID",
        PeerIdFormatError.InvalidMultihash => "peer id is not a well-formed multihash",
        PeerIdFormatError.UnsupportedHashFunction => "peer id multihash must be identity or sha2-256",
        PeerIdFormatError.InlineKeyTooLong => $"identity peer id holds more than {PeerId.MaxInlineKeyLength} bytes",
        PeerIdFormatError.NotALibp2pKeyCid => "peer id CID must be CIDv1 with the libp2p-key codec (0x72)",
        _ => "peer id is malformed",
    };
}
