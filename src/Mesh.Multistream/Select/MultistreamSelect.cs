using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Multistream;

/// <summary>
/// multistream-select 1.0 negotiation over a duplex pipe (multiformats/multistream-select; libp2p specs
/// connections/README.md "Protocol Negotiation"):
/// <code>
///   initiator                                   responder
///   /multistream/1.0.0 + /noise         ──►
///                                        ◄──    /multistream/1.0.0 + /noise      (accept: echo)
///                                        ◄──    /multistream/1.0.0 + na          (decline: try the next)
/// </code>
/// </summary>
/// <remarks>
/// <para>Never over-reads: the reader is advanced exactly past the last negotiation message, with nothing beyond it
/// marked as examined, so the next protocol (Noise, yamux, an application) reads the bytes that followed on the
/// same <see cref="PipeReader"/>, including any that arrived in the same packet. One read drains every complete
/// message and advances once; the writer is flushed once per batch of answers.</para>
/// <para>Timeouts are the caller's <see cref="CancellationToken"/>; peer misbehaviour is a
/// <see cref="MultistreamException"/>.</para>
/// </remarks>
public static class MultistreamSelect
{
    /// <summary>How many proposals (and <c>ls</c> requests) a responder answers before giving up.</summary>
    public const int DefaultMaxAttempts = 64;

    /// <summary>
    /// Initiator: proposes <paramref name="protocols"/> in order until the responder echoes one, and returns it.
    /// The header and the first proposal go out in one write.
    /// </summary>
    /// <exception cref="MultistreamException">
    /// <see cref="MultistreamError.ProtocolNotSupported"/> when every proposal was declined, or another error for a
    /// misbehaving responder.
    /// </exception>
    public static async ValueTask<string> SelectAsync(IDuplexPipe pipe, IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(protocols);
        if (protocols.Count == 0)
        {
            throw new ArgumentException("at least one protocol must be proposed", nameof(protocols));
        }
        foreach (string protocol in protocols)
        {
            MultistreamCodec.RequireValidProtocolId(protocol);
        }

        PipeReader input = pipe.Input;
        PipeWriter output = pipe.Output;
        MultistreamCodec.WriteHeader(output);
        MultistreamCodec.WriteMessage(output, protocols[0]);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);

        bool headerSeen = false;
        bool awaitingAnswer = true;
        int index = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            string? selected = null;
            try
            {
                while (selected is null)
                {
                    OperationStatus status = MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> body, out MultistreamError error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == OperationStatus.InvalidData)
                    {
                        MultistreamException.Throw(error);
                    }
                    consumed = buffer.Start;
                    if (!headerSeen)
                    {
                        if (!MultistreamCodec.BodyEquals(body, MultistreamCodec.ProtocolId))
                        {
                            MultistreamException.Throw(MultistreamError.UnexpectedHeader);
                        }
                        headerSeen = true;
                        continue;
                    }
                    if (!awaitingAnswer)
                    {
                        // An answer to a proposal not yet sent.
                        MultistreamException.Throw(MultistreamError.UnexpectedMessage);
                    }
                    if (MultistreamCodec.BodyEquals(body, protocols[index]))
                    {
                        selected = protocols[index];
                    }
                    else if (MultistreamCodec.BodyEquals(body, MultistreamCodec.NotAvailable))
                    {
                        if (++index == protocols.Count)
                        {
                            MultistreamException.Throw(MultistreamError.ProtocolNotSupported, protocols.Count == 1 ? protocols[0] : null);
                        }
                        awaitingAnswer = false;
                    }
                    else
                    {
                        MultistreamException.Throw(MultistreamError.UnexpectedMessage);
                    }
                }
                if (selected is null && result.IsCompleted)
                {
                    MultistreamException.Throw(MultistreamError.UnexpectedEndOfStream);
                }
            }
            finally
            {
                // On success nothing past the echo is examined, so the next reader sees the rest at once.
                input.AdvanceTo(consumed, selected is null ? result.Buffer.End : consumed);
            }
            if (selected is not null)
            {
                return selected;
            }
            if (!awaitingAnswer)
            {
                MultistreamCodec.WriteMessage(output, protocols[index]);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                awaitingAnswer = true;
            }
        }
    }

    /// <summary>Initiator with a single proposal.</summary>
    public static ValueTask<string> SelectAsync(IDuplexPipe pipe, string protocol, CancellationToken cancellationToken = default) =>
        SelectAsync(pipe, [protocol], cancellationToken);

    /// <summary>
    /// Lazy ("optimistic", rust-libp2p <c>V1Lazy</c>) initiator: writes the header and the proposal into
    /// <c>pipe.Output</c> without flushing or waiting, and returns a pipe to use from then on. The proposal leaves in
    /// the same packet as the caller's first message. The returned pipe's first read (flushing the proposal first if
    /// the caller has not flushed yet, so server-speaks-first protocols work) checks the responder's header and echo
    /// and hides them; if the responder declined, that read throws a <see cref="MultistreamException"/> with
    /// <see cref="MultistreamError.ProtocolNotSupported"/>.
    /// </summary>
    /// <remarks>
    /// Use only when the responder is expected to support the protocol: data written before the answer arrives is
    /// wasted on a decline. As with any fresh stream, the first read and concurrent writes must not race on two
    /// threads while the proposal is being flushed by the read.
    /// </remarks>
    public static IDuplexPipe SelectLazy(IDuplexPipe pipe, string protocol)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        MultistreamCodec.RequireValidProtocolId(protocol);
        MultistreamCodec.WriteHeader(pipe.Output);
        MultistreamCodec.WriteMessage(pipe.Output, protocol);
        var output = new LazySelectWriter(pipe.Output);
        return new LazySelectPipe(new LazySelectReader(pipe.Input, output, protocol), output);
    }

    /// <summary>
    /// For a pipe returned by <see cref="SelectLazy"/>: flushes the proposal if the caller has not, then waits for the
    /// responder's answer and checks it, without waiting for or consuming any data after it (a no-op for other pipes
    /// and once the answer was read). Throws like the first read would. Do not call it while a read is in progress.
    /// </summary>
    /// <remarks>
    /// A lazy initiator that wants to half-close before reading calls this first: js-libp2p 3.x drops a stream's data
    /// when the FIN arrives before its protocol handler is attached.
    /// </remarks>
    public static ValueTask WhenLazySelectedAsync(IDuplexPipe pipe, CancellationToken cancellationToken = default) =>
        pipe is LazySelectPipe { Input: LazySelectReader reader } ? reader.VerifyAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Responder for a fixed protocol table (also the <c>ls</c> answer), in preference-free order.</summary>
    public static ValueTask<string> HandleAsync(IDuplexPipe pipe, IReadOnlyCollection<string> protocols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        return HandleAsync(pipe, protocols.Contains, protocols, DefaultMaxAttempts, cancellationToken);
    }

    /// <summary>Responder deciding with <paramref name="isSupported"/>; <c>ls</c> is answered with an empty list.</summary>
    public static ValueTask<string> HandleAsync(IDuplexPipe pipe, Func<string, bool> isSupported, CancellationToken cancellationToken = default) =>
        HandleAsync(pipe, isSupported, listed: null, DefaultMaxAttempts, cancellationToken);

    /// <summary>
    /// Responder: reads the initiator's header and proposals, answers <c>ls</c> with <paramref name="listed"/>,
    /// declines unsupported proposals with <c>na</c> (at most <paramref name="maxAttempts"/> proposals and
    /// <c>ls</c> requests in total), echoes the first supported one and returns it. Its header goes out with its
    /// first answer (or alone, as soon as the initiator's header has arrived without a proposal).
    /// </summary>
    /// <exception cref="MultistreamException">The initiator misbehaved, made too many attempts, or left.</exception>
    public static async ValueTask<string> HandleAsync(IDuplexPipe pipe, Func<string, bool> isSupported, IEnumerable<string>? listed, int maxAttempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(isSupported);
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttempts);

        PipeReader input = pipe.Input;
        PipeWriter output = pipe.Output;
        bool headerSeen = false;
        int attempts = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            string? selected = null;
            bool wrote = false;
            try
            {
                while (selected is null)
                {
                    OperationStatus status = MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> body, out MultistreamError error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == OperationStatus.InvalidData)
                    {
                        MultistreamException.Throw(error);
                    }
                    consumed = buffer.Start;
                    if (!headerSeen)
                    {
                        if (!MultistreamCodec.BodyEquals(body, MultistreamCodec.ProtocolId))
                        {
                            MultistreamException.Throw(MultistreamError.UnexpectedHeader);
                        }
                        headerSeen = true;
                        MultistreamCodec.WriteHeader(output);
                        wrote = true;
                        continue;
                    }
                    if (++attempts > maxAttempts)
                    {
                        MultistreamException.Throw(MultistreamError.TooManyAttempts);
                    }
                    wrote = true;
                    if (MultistreamCodec.BodyEquals(body, MultistreamCodec.List))
                    {
                        MultistreamCodec.WriteListResponse(output, listed ?? []);
                        continue;
                    }
                    if (!MultistreamCodec.TryDecodeProtocol(body, out string protocol))
                    {
                        MultistreamException.Throw(MultistreamError.InvalidProtocolId);
                    }
                    if (isSupported(protocol))
                    {
                        MultistreamCodec.WriteMessage(output, protocol);
                        selected = protocol;
                    }
                    else
                    {
                        MultistreamCodec.WriteNotAvailable(output);
                    }
                }
                if (selected is null && result.IsCompleted)
                {
                    MultistreamException.Throw(MultistreamError.UnexpectedEndOfStream);
                }
            }
            finally
            {
                // After the accepted proposal, leave everything (e.g. lazily sent data) unexamined for the next reader.
                input.AdvanceTo(consumed, selected is null ? result.Buffer.End : consumed);
            }
            if (wrote)
            {
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (selected is not null)
            {
                return selected;
            }
        }
    }

    private sealed class LazySelectPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
