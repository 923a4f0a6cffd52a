using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using Google.Protobuf;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// mesh's <c>SignatureAuthorizer</c> (mesh/utils/authorizers/auth.py): requests and responses signed with the node's
/// RSA (PSS, maximum salt) or Ed25519 key, base64 signatures over the message serialized with an empty signature field,
/// an <c>AccessToken</c> carrying the OpenSSH public key.
/// </summary>
/// <remarks>
/// <para>Requests are accepted when, in mesh's order: the token's key parses; the signature verifies; the
/// <c>service_public_key</c>, if set, is ours; <c>|auth.time − now| ≤ 60 s</c>; the nonce was not accepted in the last
/// 180 s. Then, beyond mesh and only when enabled: the client key belongs to the connected peer, the token's own
/// signature and expiry hold; then the <see cref="SignatureAuthorizerOptions.SignerPolicy"/>; then the nonce is
/// remembered (atomically, so two copies of one request racing each other cannot both pass). One deliberate difference
/// from mesh: a non-finite <c>auth.time</c> is rejected (Python's <c>abs(nan − now) &gt; 60</c> is false, so it accepts
/// NaN and leaves replay protection to the 180 s nonce memory alone).</para>
/// <para>Responses are accepted when the token's key parses, the signature verifies and the nonce is the request's,
/// then peer binding, token verification and the policy as enabled.</para>
/// <para>Thread-safe. Signing and verifying allocate only the signature bytes the message keeps.</para>
/// </remarks>
public sealed class SignatureAuthorizer : IRpcAuthorizer
{
    /// <summary>Length of the nonces this authorizer writes (mesh: 8).</summary>
    public const int NonceLength = 8;

    private const int StackLimit = 1024;

    private readonly PrivateKey _privateKey;
    private readonly SignatureAuthorizerOptions _options;
    private readonly TimeProvider _time;
    private readonly ByteString _localOpenSsh;
    private readonly NonceReplayCache _nonces;
    private readonly int _signatureLength;
    private TokenCacheEntry? _token;
    private ServiceKeyCacheEntry? _serviceKey;

    public SignatureAuthorizer(PrivateKey privateKey, SignatureAuthorizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!MeshSignatureScheme.IsSupported(privateKey.Type))
        {
            throw new ArgumentException($"mesh signs with RSA or Ed25519 keys, not {privateKey.Type}", nameof(privateKey));
        }
        _options = options ?? new SignatureAuthorizerOptions();
        _options.Validate();
        _privateKey = privateKey;
        _time = _options.TimeProvider;
        LocalPublicKey = privateKey.PublicKey;
        _localOpenSsh = UnsafeByteOperations.UnsafeWrap(OpenSshPublicKey.Format(LocalPublicKey));
        _signatureLength = MeshSignatureScheme.GetSignatureLength(privateKey);
        _nonces = new NonceReplayCache(_options.MaxRememberedNonces, _options.NonceRetention.TotalSeconds, _options.MaxClockSkew.TotalSeconds);
    }

    /// <summary>Our public key (what requests addressed to us carry as <c>service_public_key</c>).</summary>
    public PublicKey LocalPublicKey { get; }

    public SignatureAuthorizerOptions Options => _options;

    /// <summary>Nonces currently remembered.</summary>
    public int RememberedNonces => _nonces.Count;

    /// <summary>Our access token as mesh's <c>get_token</c> makes it: empty username, OpenSSH key, now + 1 min, signed.</summary>
    public AccessToken CreateAccessToken() => CreateToken(_time.GetUtcNow());

    /// <inheritdoc/>
    public ValueTask SignRequestAsync(IAuthorizedRequest request, PublicKey? servicePublicKey, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestAuthInfo auth = request.Auth ??= new RequestAuthInfo();
        DateTimeOffset now = _time.GetUtcNow();
        auth.ClientAccessToken = GetToken(now);
        if (servicePublicKey is not null)
        {
            auth.ServicePublicKey = GetServiceKeyText(servicePublicKey);
        }
        auth.Time = ToUnixSeconds(now);
        Span<byte> nonce = stackalloc byte[NonceLength];
        if (_options.NonceGenerator is { } generate)
        {
            generate(nonce);
        }
        else
        {
            RandomNumberGenerator.Fill(nonce);
        }
        auth.Nonce = ByteString.CopyFrom(nonce);
        auth.Signature = ByteString.Empty;
        auth.Signature = SignMessage(request);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<RpcAuthResult> ValidateRequestAsync(IAuthorizedRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestAuthInfo? auth = request.Auth;
        if (auth is null || auth.ClientAccessToken is null || !SignerKeyCache.TryGet(auth.ClientAccessToken.PublicKey, out PublicKey? clientKey))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(auth?.ClientAccessToken is null ? RpcAuthFailure.MissingAuth : RpcAuthFailure.MalformedSignerKey));
        }
        ByteString signature = auth.Signature;
        auth.Signature = ByteString.Empty;
        bool verified;
        try
        {
            verified = VerifyMessage(request, clientKey, signature);
        }
        finally
        {
            auth.Signature = signature;
        }
        if (!verified)
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.BadSignature, signer: clientKey));
        }
        if (!auth.ServicePublicKey.IsEmpty && !auth.ServicePublicKey.Span.SequenceEqual(_localOpenSsh.Span))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.WrongServiceKey, signer: clientKey));
        }
        DateTimeOffset nowTime = _time.GetUtcNow();
        double now = ToUnixSeconds(nowTime);
        double skew = Math.Abs(auth.Time - now);
        if (!(skew <= _options.MaxClockSkew.TotalSeconds))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.StaleTimestamp, $"auth.time is {auth.Time}, now is {now}", clientKey));
        }
        if (_nonces.Contains(auth.Nonce, now))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.ReplayedNonce, signer: clientKey));
        }
        if (CheckExtensions(clientKey, auth.ClientAccessToken, context, nowTime) is { } rejected)
        {
            return ValueTask.FromResult(rejected);
        }
        if (_options.SignerPolicy is { } policy)
        {
            return ValidateRequestWithPolicyAsync(policy, auth, clientKey, context);
        }
        return ValueTask.FromResult(Remember(auth, clientKey, now));
    }

    /// <inheritdoc/>
    public ValueTask SignResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(request);
        ResponseAuthInfo auth = response.Auth ??= new ResponseAuthInfo();
        auth.ServiceAccessToken = GetToken(_time.GetUtcNow());
        auth.Nonce = request.Auth?.Nonce ?? ByteString.Empty;
        auth.Signature = ByteString.Empty;
        auth.Signature = SignMessage(response);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<RpcAuthResult> ValidateResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(request);
        ResponseAuthInfo? auth = response.Auth;
        if (auth is null || auth.ServiceAccessToken is null || !SignerKeyCache.TryGet(auth.ServiceAccessToken.PublicKey, out PublicKey? serviceKey))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(auth?.ServiceAccessToken is null ? RpcAuthFailure.MissingAuth : RpcAuthFailure.MalformedSignerKey));
        }
        ByteString signature = auth.Signature;
        auth.Signature = ByteString.Empty;
        bool verified;
        try
        {
            verified = VerifyMessage(response, serviceKey, signature);
        }
        finally
        {
            auth.Signature = signature;
        }
        if (!verified)
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.BadSignature, signer: serviceKey));
        }
        if (auth.Nonce != (request.Auth?.Nonce ?? ByteString.Empty))
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.NonceMismatch, signer: serviceKey));
        }
        if (CheckExtensions(serviceKey, auth.ServiceAccessToken, context, _time.GetUtcNow()) is { } rejected)
        {
            return ValueTask.FromResult(rejected);
        }
        if (_options.SignerPolicy is { } policy)
        {
            return ValidateResponseWithPolicyAsync(policy, serviceKey, context);
        }
        return ValueTask.FromResult(RpcAuthResult.Success(serviceKey));
    }

    private async ValueTask<RpcAuthResult> ValidateRequestWithPolicyAsync(IRpcSignerPolicy policy, RequestAuthInfo auth, PublicKey clientKey, RpcContext context)
    {
        if (!await IsAllowedAsync(policy, new RpcSigner(clientKey, RpcSignerRole.Client), context).ConfigureAwait(false))
        {
            return RpcAuthResult.Fail(RpcAuthFailure.PolicyRejected, signer: clientKey);
        }
        // The policy may have taken a while (a chain query): judge the replay window at the time of remembering.
        return Remember(auth, clientKey, ToUnixSeconds(_time.GetUtcNow()));
    }

    private static async ValueTask<RpcAuthResult> ValidateResponseWithPolicyAsync(IRpcSignerPolicy policy, PublicKey serviceKey, RpcContext context) =>
        await IsAllowedAsync(policy, new RpcSigner(serviceKey, RpcSignerRole.Service), context).ConfigureAwait(false)
            ? RpcAuthResult.Success(serviceKey)
            : RpcAuthResult.Fail(RpcAuthFailure.PolicyRejected, signer: serviceKey);

    private static async ValueTask<bool> IsAllowedAsync(IRpcSignerPolicy policy, RpcSigner signer, RpcContext context)
    {
        try
        {
            return await policy.IsAllowedAsync(signer, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            // mesh's ProofOfStakeAuthorizer logs and returns False when the check raises.
            return false;
        }
    }

    private RpcAuthResult Remember(RequestAuthInfo auth, PublicKey clientKey, double now) =>
        _nonces.TryRemember(auth.Nonce, now, auth.Time) switch
        {
            NonceCheck.Fresh => RpcAuthResult.Success(clientKey),
            NonceCheck.Replayed => RpcAuthResult.Fail(RpcAuthFailure.ReplayedNonce, signer: clientKey),
            _ => RpcAuthResult.Fail(RpcAuthFailure.NonceCacheFull, $"{_nonces.Capacity} nonces inside the replay window", clientKey),
        };

    /// <summary>The checks beyond mesh, when enabled: null when they pass.</summary>
    private RpcAuthResult? CheckExtensions(PublicKey signer, AccessToken token, RpcContext context, DateTimeOffset now)
    {
        if (_options.RequireSignerIsRemotePeer && (context.RemotePeer.IsEmpty || signer.PeerId != context.RemotePeer))
        {
            return RpcAuthResult.Fail(RpcAuthFailure.SignerNotConnectionPeer, $"signed by {signer.PeerId}, connection peer is {context.RemotePeer}", signer);
        }
        if (_options.VerifyAccessToken)
        {
            if (!VerifyToken(token, signer))
            {
                return RpcAuthResult.Fail(RpcAuthFailure.BadTokenSignature, signer: signer);
            }
            if (!PythonText.TryParseDateTime(token.ExpirationTime, out DateTimeOffset expiration) || expiration < now)
            {
                return RpcAuthResult.Fail(RpcAuthFailure.TokenExpired, $"expiration_time '{token.ExpirationTime}'", signer);
            }
        }
        return null;
    }

    private AccessToken GetToken(DateTimeOffset now)
    {
        TokenCacheEntry? cached = Volatile.Read(ref _token);
        if (cached is null || Math.Abs((now - cached.CreatedAt).Ticks) >= _options.TokenReuseInterval.Ticks)
        {
            cached = new TokenCacheEntry(CreateToken(now), now);
            Volatile.Write(ref _token, cached);
        }
        // The cached token is never handed out itself: messages own (and may mutate) what they hold.
        return cached.Token.Clone();
    }

    private AccessToken CreateToken(DateTimeOffset now)
    {
        var token = new AccessToken
        {
            Username = "",
            PublicKey = _localOpenSsh,
            ExpirationTime = PythonText.FormatUtcDateTime(now + _options.TokenLifetime),
        };
        int max = AccessTokenText.GetMaxLength(token);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int length = AccessTokenText.Write(token, buffer);
            token.Signature = Sign(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return token;
    }

    private ByteString GetServiceKeyText(PublicKey key)
    {
        ServiceKeyCacheEntry? cached = Volatile.Read(ref _serviceKey);
        if (cached is null || !ReferenceEquals(cached.Key, key))
        {
            cached = new ServiceKeyCacheEntry(key, UnsafeByteOperations.UnsafeWrap(OpenSshPublicKey.Format(key)));
            Volatile.Write(ref _serviceKey, cached);
        }
        return cached.Text;
    }

    /// <summary>Signs the message as it serializes now (its signature field must be empty) and returns the base64 signature.</summary>
    private ByteString SignMessage(IMessage message)
    {
        int size = message.CalculateSize();
        byte[]? rented = null;
        Span<byte> data = size <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            data = data[..size];
            message.WriteTo(data);
            return Sign(data);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private ByteString Sign(ReadOnlySpan<byte> data)
    {
        byte[]? rented = null;
        Span<byte> raw = _signatureLength <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(_signatureLength));
        try
        {
            MeshSignatureScheme.TrySign(_privateKey, data, raw, out int rawLength);
            byte[] encoded = new byte[Base64.GetMaxEncodedToUtf8Length(rawLength)];
            Base64.EncodeToUtf8(raw[..rawLength], encoded, out _, out _);
            return UnsafeByteOperations.UnsafeWrap(encoded);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Verifies a base64 signature (decoded as Python's lenient b64decode) over the message as it serializes now.</summary>
    private static bool VerifyMessage(IMessage message, PublicKey key, ByteString signature)
    {
        int size = message.CalculateSize();
        byte[]? rented = null;
        Span<byte> data = size <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            data = data[..size];
            message.WriteTo(data);
            return Verify(data, key, signature.Span);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool VerifyToken(AccessToken token, PublicKey key)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(AccessTokenText.GetMaxLength(token));
        try
        {
            int length = AccessTokenText.Write(token, buffer);
            return Verify(buffer.AsSpan(0, length), key, token.Signature.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool Verify(ReadOnlySpan<byte> data, PublicKey key, ReadOnlySpan<byte> base64Signature)
    {
        int max = PythonBase64.MaxDecodedLength(base64Signature.Length);
        byte[]? rented = null;
        Span<byte> raw = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            return PythonBase64.TryDecode(base64Signature, raw, out int rawLength) && MeshSignatureScheme.Verify(key, data, raw[..rawLength]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Seconds since the Unix epoch as a double, like Python's <c>time.time()</c>.</summary>
    internal static double ToUnixSeconds(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return (ticks / TimeSpan.TicksPerSecond) + (ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond);
    }

    private sealed record TokenCacheEntry(AccessToken Token, DateTimeOffset CreatedAt);

    private sealed record ServiceKeyCacheEntry(PublicKey Key, ByteString Text);
}
