using System.Buffers;
using System.IO.Pipelines;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tests.Noise;

/// <summary>
/// Channel plumbing without libp2p identities: the bare XX handshake (empty payloads, no signature check) over an
/// in-memory duplex pipe, then a <see cref="NoiseSecureChannel"/> on each end.
/// </summary>
internal static class NoiseTestChannels
{
    public static async Task<(NoiseSecureChannel Initiator, NoiseSecureChannel Responder)> CreatePairAsync(CancellationToken cancellationToken, PipeOptions? rawOptions = null)
    {
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create(rawOptions);
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await HandshakeAsync(left, right, cancellationToken);
        return (Channel(left, iSend, iReceive, true), Channel(right, rSend, rReceive, false));
    }

    public static async Task<(CipherState ISend, CipherState IReceive, CipherState RSend, CipherState RReceive)> HandshakeAsync(IDuplexPipe initiator, IDuplexPipe responder, CancellationToken cancellationToken)
    {
        ValueTask<(CipherState Send, CipherState Receive, int Peer)> i = NoiseHandshake.RunAsync(initiator, true, _ => [], (_, _) => 0, cancellationToken);
        ValueTask<(CipherState Send, CipherState Receive, int Peer)> r = NoiseHandshake.RunAsync(responder, false, _ => [], (_, _) => 0, cancellationToken);
        (CipherState iSend, CipherState iReceive, _) = await i;
        (CipherState rSend, CipherState rReceive, _) = await r;
        return (iSend, iReceive, rSend, rReceive);
    }

    // The channel reports a remote identity; in these plumbing tests it is just a label, not authenticated.
    private static readonly PublicKey s_placeholderRemote = PrivateKey.Generate(KeyType.Ed25519).PublicKey;

    public static NoiseSecureChannel Channel(IDuplexPipe raw, CipherState send, CipherState receive, bool isInitiator) =>
        new(raw, send, receive, isInitiator, s_placeholderRemote, negotiatedMuxer: null, NullLogger.Instance);

    /// <summary>Reads everything until the writer completes (rethrowing its error).</summary>
    public static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.WrittenSpan.ToArray();
            }
        }
    }

    /// <summary>Writes <paramref name="data"/> in chunks of the given sizes (cycled), flushing after each.</summary>
    public static async Task WriteChunkedAsync(PipeWriter writer, byte[] data, int[] chunkSizes, CancellationToken cancellationToken)
    {
        int offset = 0;
        int i = 0;
        while (offset < data.Length)
        {
            int size = Math.Min(chunkSizes[i++ % chunkSizes.Length], data.Length - offset);
            await writer.WriteAsync(data.AsMemory(offset, size), cancellationToken);
            offset += size;
        }
    }

    /// <summary>The test's own cancellation, plus a 30 s limit so a bug fails the test instead of hanging the run.</summary>
    public static CancellationTokenSource Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts;
    }
}
