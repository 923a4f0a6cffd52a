using System.Security.Cryptography;
using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Rpc;

/// <summary>
/// A wall clock and a monotonic clock that move together, only when the test says so (the authorizers read the wall
/// clock for auth.time and token expiry, the rate limiter the monotonic one).
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private long _ticks;

    public TestClock(DateTimeOffset now)
    {
        _ticks = now.UtcTicks;
    }

    /// <summary>The vectors' fixed time, 1700000000.25 (2023-11-14 22:13:20.25 UTC).</summary>
    public static DateTimeOffset VectorNow { get; } = FromUnixSeconds(1700000000.25);

    public static TestClock AtVectorTime() => new(VectorNow);

    public static DateTimeOffset FromUnixSeconds(double seconds) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
    }

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => Now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
}

/// <summary>The fixed test keys of the golden vectors (vectors/keys.json).</summary>
internal static class TestKeys
{
    private static readonly Lazy<JsonElement> s_keys = new(() => RpcVectors.Load("keys.json"));

    /// <summary>Ed25519 key by label: A owns records, B is "other", C is the client, D the server, E a stranger.</summary>
    public static Ed25519PrivateKey Ed25519(string label) =>
        Ed25519PrivateKey.FromSeed(Hex.Decode(s_keys.Value.GetProperty("ed25519").GetProperty(label).GetString()!));

    public static Ed25519PrivateKey Client => Ed25519("C");

    public static Ed25519PrivateKey Server => Ed25519("D");

    public static Ed25519PrivateKey Stranger => Ed25519("E");

    public static RsaPrivateKey Rsa(string label)
    {
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(s_keys.Value.GetProperty("rsa_pkcs8_pem").GetProperty(label).GetString()!);
        return RsaPrivateKey.FromPkcs1(rsa.ExportRSAPrivateKey());
    }

    /// <summary>Fixed nonces, one per call, as the vector generator patched secrets.token_bytes.</summary>
    public static Mesh.Transport.Rpc.Auth.NonceGenerator Nonces(params string[] hex)
    {
        int next = 0;
        return span =>
        {
            int i = Interlocked.Increment(ref next) - 1;
            Hex.Decode(hex[i % hex.Length]).CopyTo(span);
        };
    }
}

/// <summary>A bounded wait for every async test (a bug fails the test instead of hanging CI).</summary>
internal static class TestTimeout
{
    public static CancellationToken Token(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Waits for <paramref name="task"/> within <paramref name="seconds"/>, failing the test otherwise.</summary>
    public static async Task<T> Within<T>(Task<T> task, int seconds = 30) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public static async Task Within(Task task, int seconds = 30) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));
}

/// <summary>Lets a test see that a handler's cancellation token fired, even after the handler has returned.</summary>
/// <remarks>
/// Not a <c>using</c> registration inside the handler: <see cref="CancellationTokenSource.Cancel()"/> runs a token's
/// callbacks one at a time, newest first, so the handler's own later wait on the token (<c>Task.Delay</c>, the request
/// channel) runs first and wakes the handler on another thread; the handler can return and dispose its registration
/// before Cancel reaches it, and a registration disposed before it ran never runs (the test then timed out waiting
/// for a cancellation that did happen). This registration is left in place: it lives as long as the call's token source.
/// </remarks>
internal static class HandlerCancellation
{
    public static void SignalOn(CancellationToken token, TaskCompletionSource cancelled) =>
        _ = token.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), cancelled);
}
