using System.Security.Cryptography;

namespace Mesh.Transport.Noise;

/// <summary>
/// A Noise HandshakeState (Noise Protocol Framework rev 34, §5.3) fixed to pattern XX (§7.5) and the suite
/// Noise_XX_25519_ChaChaPoly_SHA256:
/// <code>
///   XX:
///     -> e                    msg 1:  e.pub(32) ‖ payload                                   (payload in clear)
///     &lt;- e, ee, s, es          msg 2:  e.pub(32) ‖ enc(s.pub)(32+16) ‖ enc(payload)(n+16)
///     -> s, se                msg 3:  enc(s.pub)(32+16) ‖ enc(payload)(n+16)
/// </code>
/// It only computes: framing and I/O belong to the caller. Private keys (s, e), and the remote keys live in one
/// pinned array cleared by <see cref="Dispose"/>; DH outputs live on the stack and are cleared after MixKey. Any
/// failure leaves the state unusable.
/// </summary>
internal sealed class NoiseXXHandshakeState : IDisposable
{
    private const int Dh = NoiseConstants.DhLength;
    private const int Tag = NoiseConstants.TagLength;
    private const int MessageCount = 3;
    private const int Failed = -1;

    // [0,32) s.priv  [32,64) s.pub  [64,96) e.priv  [96,128) e.pub  [128,160) rs  [160,192) re
    private readonly byte[] _keys = GC.AllocateArray<byte>(6 * Dh, pinned: true);
    private readonly SymmetricState _symmetric;
    private readonly bool _isInitiator;
    private readonly bool _hasFixedEphemeral;
    private int _step;

    /// <summary>
    /// Initialize(XX, initiator, prologue, s, e, rs=empty, re=empty). <paramref name="staticPrivateKey"/> empty means
    /// "generate a fresh static key" (noise-libp2p allows a per-session static key and that is what the channel
    /// does); <paramref name="ephemeralPrivateKey"/> is only ever set by the test vectors.
    /// </summary>
    public NoiseXXHandshakeState(bool isInitiator, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> staticPrivateKey = default, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        _isInitiator = isInitiator;
        _symmetric = new SymmetricState(NoiseConstants.ProtocolName);
        _symmetric.MixHash(prologue);
        if (staticPrivateKey.IsEmpty)
        {
            X25519Dh.GenerateKeyPair(StaticPrivate, StaticPublic);
        }
        else
        {
            staticPrivateKey[..Dh].CopyTo(StaticPrivate);
            X25519Dh.DerivePublicKey(StaticPrivate, StaticPublic);
        }
        if (!ephemeralPrivateKey.IsEmpty)
        {
            ephemeralPrivateKey[..Dh].CopyTo(EphemeralPrivate);
            X25519Dh.DerivePublicKey(EphemeralPrivate, EphemeralPublic);
            _hasFixedEphemeral = true;
        }
    }

    /// <summary>Initialize(XX, initiator, prologue, s, e=empty): with a static key pair made earlier (a host's).</summary>
    public NoiseXXHandshakeState(bool isInitiator, ReadOnlySpan<byte> prologue, NoiseStaticKey staticKey)
    {
        ArgumentNullException.ThrowIfNull(staticKey);
        _isInitiator = isInitiator;
        _symmetric = new SymmetricState(NoiseConstants.ProtocolName);
        _symmetric.MixHash(prologue);
        staticKey.PrivateKey.CopyTo(StaticPrivate);
        staticKey.PublicKey.CopyTo(StaticPublic);
    }

    public bool IsInitiator => _isInitiator;

    /// <summary>True once all three messages have been written or read; then <see cref="Split"/> may be called.</summary>
    public bool IsComplete => _step == MessageCount;

    /// <summary>The 0-based index of the next message (0, 1, 2), or 3 when complete.</summary>
    public int Step => _step;

    /// <summary>True when the next message is ours to write.</summary>
    public bool IsMyTurn => _step is >= 0 and < MessageCount && (_step % 2 == 0) == _isInitiator;

    /// <summary>Our static X25519 public key (what the libp2p identity key signs).</summary>
    public ReadOnlySpan<byte> LocalStaticPublicKey => StaticPublic;

    /// <summary>The peer's static X25519 public key; meaningful once it has been received (msg 2 for the initiator, msg 3 for the responder).</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _keys.AsSpan(4 * Dh, Dh);

    /// <summary>The handshake hash h.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    private Span<byte> StaticPrivate => _keys.AsSpan(0, Dh);

    private Span<byte> StaticPublic => _keys.AsSpan(Dh, Dh);

    private Span<byte> EphemeralPrivate => _keys.AsSpan(2 * Dh, Dh);

    private Span<byte> EphemeralPublic => _keys.AsSpan(3 * Dh, Dh);

    private Span<byte> RemoteStatic => _keys.AsSpan(4 * Dh, Dh);

    private Span<byte> RemoteEphemeral => _keys.AsSpan(5 * Dh, Dh);

    /// <summary>The fixed bytes message <paramref name="step"/> carries besides its payload (keys and tags).</summary>
    public static int Overhead(int step) => step switch
    {
        0 => Dh,
        1 => Dh + Dh + Tag + Tag,
        2 => Dh + Tag + Tag,
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };

    /// <summary>
    /// WriteMessage(payload, message_buffer) for the next message, which must be ours. Returns the message length
    /// (overhead + payload). The caller keeps it within 65535 bytes.
    /// </summary>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        if (!IsMyTurn)
        {
            throw new InvalidOperationException($"Handshake message {_step + 1} is not this side's to write.");
        }
        int length = Overhead(_step) + payload.Length;
        if (length > NoiseConstants.MaxMessageLength)
        {
            throw new ArgumentException($"A Noise handshake message may not exceed {NoiseConstants.MaxMessageLength} bytes; this one would be {length}.", nameof(payload));
        }
        if (message.Length < length)
        {
            throw new ArgumentException("The message buffer is too small.", nameof(message));
        }
        int step = _step;
        _step = Failed;
        int written = 0;
        switch (step)
        {
            case 0: // -> e
                written += WriteEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                written += WriteEphemeral(message);
                MixDh(EphemeralPrivate, RemoteEphemeral);                      // ee
                written += _symmetric.EncryptAndHash(StaticPublic, message[written..]); // s
                MixDh(StaticPrivate, RemoteEphemeral);                         // es (responder: DH(s, re))
                break;
            case 2: // -> s, se
                written += _symmetric.EncryptAndHash(StaticPublic, message);   // s
                MixDh(StaticPrivate, RemoteEphemeral);                         // se (initiator: DH(s, re))
                break;
        }
        written += _symmetric.EncryptAndHash(payload, message[written..]);
        _step = step + 1;
        return written;
    }

    /// <summary>
    /// ReadMessage(message, payload_buffer) for the next message, which must be the peer's. Returns the payload
    /// length. A message shorter than the pattern's overhead, a low-order key or a failed decryption throws
    /// <see cref="NoiseHandshakeException"/> and leaves the state unusable. <paramref name="payload"/> must hold
    /// message.Length - Overhead(step) bytes and must not overlap <paramref name="message"/>.
    /// </summary>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (_step is < 0 or >= MessageCount || IsMyTurn)
        {
            throw new InvalidOperationException($"Handshake message {_step + 1} is not the peer's to send.");
        }
        int step = _step;
        int overhead = Overhead(step);
        if (message.Length < overhead)
        {
            _step = Failed;
            NoiseThrow.Handshake(NoiseError.MalformedHandshakeMessage, $"Noise handshake message {step + 1} is {message.Length} bytes; XX needs at least {overhead}.");
        }
        _step = Failed;
        int read = 0;
        switch (step)
        {
            case 0: // -> e
                read += ReadEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                read += ReadEphemeral(message);
                MixDh(EphemeralPrivate, RemoteEphemeral);                      // ee
                read += ReadStatic(message[read..], step);                     // s
                MixDh(EphemeralPrivate, RemoteStatic);                         // es (initiator: DH(e, rs))
                break;
            case 2: // -> s, se
                read += ReadStatic(message, step);                             // s
                MixDh(EphemeralPrivate, RemoteStatic);                         // se (responder: DH(e, rs))
                break;
        }
        int payloadLength = _symmetric.DecryptAndHash(message[read..], payload);
        if (payloadLength < 0)
        {
            NoiseThrow.Handshake(NoiseError.DecryptFailed, $"Noise handshake message {step + 1}: the payload failed authentication.");
        }
        _step = step + 1;
        return payloadLength;
    }

    /// <summary>
    /// Split() after the last message: returns the CipherState this side sends with and the one it receives with
    /// (initiator sends with c1; responder sends with c2). The caller owns and disposes both.
    /// </summary>
    public (CipherState Send, CipherState Receive) Split()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException("The handshake is not complete.");
        }
        (CipherState c1, CipherState c2) = _symmetric.Split();
        return _isInitiator ? (c1, c2) : (c2, c1);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_keys);
        _symmetric.Dispose();
        _step = Failed;
    }

    private int WriteEphemeral(Span<byte> message)
    {
        if (!_hasFixedEphemeral)
        {
            X25519Dh.GenerateKeyPair(EphemeralPrivate, EphemeralPublic);
        }
        EphemeralPublic.CopyTo(message);
        _symmetric.MixHash(EphemeralPublic);
        return Dh;
    }

    private int ReadEphemeral(ReadOnlySpan<byte> message)
    {
        message[..Dh].CopyTo(RemoteEphemeral);
        _symmetric.MixHash(RemoteEphemeral);
        return Dh;
    }

    private int ReadStatic(ReadOnlySpan<byte> message, int step)
    {
        // With a key (always, in XX, by the time s is read) the static key is 32 bytes + tag.
        int length = Dh + Tag;
        if (_symmetric.DecryptAndHash(message[..length], RemoteStatic) != Dh)
        {
            NoiseThrow.Handshake(NoiseError.DecryptFailed, $"Noise handshake message {step + 1}: the static key failed authentication.");
        }
        return length;
    }

    private void MixDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        Span<byte> shared = stackalloc byte[Dh];
        try
        {
            X25519Dh.Agree(privateKey, publicKey, shared);
            _symmetric.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
