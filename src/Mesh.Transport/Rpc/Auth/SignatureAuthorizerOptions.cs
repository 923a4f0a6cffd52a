using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// Settings of <see cref="SignatureAuthorizer"/>. The defaults are mesh's behaviour; the two checks mesh lacks
/// (<see cref="RequireSignerIsRemotePeer"/>, <see cref="VerifyAccessToken"/>) are off by default so that every request
/// a Python peer sends is accepted exactly when Python would accept it.
/// </summary>
public sealed record SignatureAuthorizerOptions
{
    /// <summary>The clock for <c>auth.time</c>, token expiry and the replay window (mesh uses <c>time.time()</c>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Largest accepted <c>|auth.time − now|</c> (mesh: 60 s, inclusive).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an accepted request's nonce is remembered (mesh: three times the skew, 180 s).</summary>
    public TimeSpan NonceRetention { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>
    /// Most nonces remembered at once (mesh: unbounded). At the limit, a nonce whose request is already outside the
    /// clock window is forgotten to make room; if none is, the new request is refused
    /// (<see cref="RpcAuthFailure.NonceCacheFull"/>). 262,144 entries is about 20 MB and sustains over 2,000 accepted
    /// requests per second.
    /// </summary>
    public int MaxRememberedNonces { get; init; } = 262_144;

    /// <summary>The access token's validity written into <c>expiration_time</c> (mesh: one minute).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a signed access token is reused before a new one is made (mesh makes one per message, which costs a
    /// second signature each time). Zero makes a fresh token for every message.
    /// </summary>
    public TimeSpan TokenReuseInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Peer binding (not in mesh): a request's client key must be the key of the peer at the other end of the
    /// connection, and a response's service key that of the peer called. Stops a peer from replaying or relaying
    /// requests signed by another key, and makes a proof-of-stake check apply to the connected peer.
    /// </summary>
    public bool RequireSignerIsRemotePeer { get; init; }

    /// <summary>
    /// Token verification (not in mesh): the access token's own signature must verify under its public key, and its
    /// <c>expiration_time</c> must not be in the past (mesh never checks either; auth.json's garbage-token case passes
    /// there).
    /// </summary>
    public bool VerifyAccessToken { get; init; }

    /// <summary>
    /// Runs on the verified signer after every signature, clock and replay check, before the nonce is remembered
    /// (where mesh's <c>ProofOfStakeAuthorizer</c> runs): on the client key when validating requests, on the service key
    /// when validating responses.
    /// </summary>
    public IRpcSignerPolicy? SignerPolicy { get; init; }

    /// <summary>Fills a request nonce (8 bytes). Default: the system CSPRNG (mesh: <c>secrets.token_bytes(8)</c>).</summary>
    public NonceGenerator? NonceGenerator { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxClockSkew, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(NonceRetention, MaxClockSkew);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRememberedNonces);
        ArgumentOutOfRangeException.ThrowIfLessThan(TokenLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(TokenReuseInterval, TimeSpan.Zero);
    }
}

/// <summary>Fills <paramref name="nonce"/> with a fresh request nonce.</summary>
public delegate void NonceGenerator(Span<byte> nonce);
