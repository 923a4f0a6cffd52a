using Mesh.Transport.Identity;

namespace Mesh.Transport.Noise;

/// <summary>
/// The dialer authenticated the remote peer, and it is not the peer it meant to reach: the connection must not be used
/// (libp2p/specs noise/README.md; the same check applies to every secure channel).
/// </summary>
public sealed class PeerIdMismatchException : NoiseHandshakeException
{
    public PeerIdMismatchException(PeerId expected, PeerId actual)
        : base(NoiseError.PeerIdMismatch, $"The remote peer authenticated as {actual}, but {expected} was dialed.")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The peer the dialer expected.</summary>
    public PeerId Expected { get; }

    /// <summary>The peer the remote authenticated as.</summary>
    public PeerId Actual { get; }
}
