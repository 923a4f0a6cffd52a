namespace Mesh.Transport.Rpc.Auth;

/// <summary>Why an authorizer rejected a request or a response .</summary>
public enum RpcAuthFailure
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The message has no <c>auth</c> field, or its access token carries no public key.</summary>
    MissingAuth,

    /// <summary>The access token's public key is not an OpenSSH RSA or Ed25519 key (Python raises <c>ValueError('Unsupported public key type')</c>).</summary>
    MalformedSignerKey,

    /// <summary>The message signature does not verify against the access token's key.</summary>
    BadSignature,

    /// <summary>The request names a <c>service_public_key</c> that is not ours.</summary>
    WrongServiceKey,

    /// <summary><c>|auth.time − now|</c> exceeds the allowed clock skew (60 s), or the time is not a finite number.</summary>
    StaleTimestamp,

    /// <summary>The nonce was seen within the replay window (180 s).</summary>
    ReplayedNonce,

    /// <summary>The replay cache is full of nonces that are all still inside the acceptance window; the request is refused rather than risking a replay.</summary>
    NonceCacheFull,

    /// <summary>The response's nonce is not the request's nonce.</summary>
    NonceMismatch,

    /// <summary>Peer binding: the signer's key does not hash to the peer id at the other end of the connection.</summary>
    SignerNotConnectionPeer,

    /// <summary>Token verification: the access token's own signature does not verify.</summary>
    BadTokenSignature,

    /// <summary>Token verification: the access token's <c>expiration_time</c> is in the past or unreadable.</summary>
    TokenExpired,

    /// <summary>A signer policy (for example proof of stake) refused the signer.</summary>
    PolicyRejected,

    /// <summary>The client exceeded its rate limit.</summary>
    RateLimited,

    /// <summary>The client is temporarily blocked after sustained rate-limit violations.</summary>
    Blocked,
}
