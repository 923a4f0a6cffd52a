using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Yamux;

public sealed partial class YamuxSession
{
    // ---- Read loop only: a Data payload that continues in the next read. ----
    private YamuxStream? _payloadStream;     // where the payload goes; null = discard (unknown, closed or refused stream)
    private long _payloadRemaining;
    private bool _payloadFin;                // FIN came with the frame: applied after its payload
    private long _unconsumedAfterLastRead;   // tells new bytes from a re-read of the same partial frame

    private enum ReadOutcome
    {
        Continue,
        AlreadyEnding,
        LocalClose,
        EndOfInput,
        RemoteGoAwayError,
    }

    /// <summary>
    /// The session's single reader: parse every complete frame in the buffer, then advance once
    /// (<c>consumed</c> = first unparsed byte, <c>examined</c> = end, so a partial frame waits for more bytes).
    /// </summary>
    private async Task ReadLoopAsync()
    {
        ReadOutcome outcome = ReadOutcome.AlreadyEnding;
        YamuxSessionEndReason failure = YamuxSessionEndReason.None;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    failure = YamuxSessionEndReason.TransportError;
                    error = ex;
                    break;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    outcome = ProcessRead(ref buffer, result.IsCompleted);
                }
                finally
                {
                    _unconsumedAfterLastRead = buffer.Length;
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (outcome != ReadOutcome.Continue)
                {
                    break;
                }
            }
        }
        catch (YamuxProtocolException ex)
        {
            Log.ProtocolViolation(_logger, ex.Error, ex.Message);
            failure = YamuxSessionEndReason.ProtocolError;
            error = ex;
        }
        catch (Exception ex)
        {
            failure = YamuxSessionEndReason.InternalError;
            error = ex;
        }

        switch (failure)
        {
            case YamuxSessionEndReason.ProtocolError:
                BeginShutdown(failure, error, YamuxGoAwayCode.ProtocolError, graceful: false);
                break;
            case YamuxSessionEndReason.InternalError:
                BeginShutdown(failure, error, YamuxGoAwayCode.InternalError, graceful: false);
                break;
            case YamuxSessionEndReason.TransportError:
                BeginShutdown(failure, error, null, graceful: false);
                break;
            default:
                switch (outcome)
                {
                    case ReadOutcome.LocalClose:
                        // Every stream has finished: GoAway(normal) after their last frames, then the write loop ends.
                        BeginShutdown(YamuxSessionEndReason.LocalClose, null, YamuxGoAwayCode.Normal, graceful: true);
                        break;
                    case ReadOutcome.EndOfInput:
                        BeginShutdown(Volatile.Read(ref _remoteGoAway) != 0 ? YamuxSessionEndReason.RemoteGoAway : YamuxSessionEndReason.TransportClosed,
                            null, null, graceful: false);
                        break;
                    case ReadOutcome.RemoteGoAwayError:
                        BeginShutdown(YamuxSessionEndReason.RemoteGoAwayError,
                            new YamuxSessionClosedException(YamuxSessionEndReason.RemoteGoAwayError,
                                $"the peer ended the yamux session with GoAway({RemoteGoAwayCode})", remoteGoAwayCode: RemoteGoAwayCode),
                            null, graceful: false);
                        break;
                }
                break;
        }

        try
        {
            _input.Complete();
        }
        catch (Exception)
        {
            // The connection is going away regardless.
        }
    }

    private ReadOutcome ProcessRead(ref ReadOnlySequence<byte> buffer, bool isCompleted)
    {
        DrainOffLoopQueues();
        if (IsEnding)
        {
            return ReadOutcome.AlreadyEnding;
        }
        bool closing = Volatile.Read(ref _localClosing) != 0;
        if (closing && !_closingObserved)
        {
            // Before this read's frames: what arrived after CloseAsync is already treated as arriving while closing.
            BeginClosing();
        }
        if (buffer.Length != _unconsumedAfterLastRead)
        {
            Volatile.Write(ref _lastReceiveTimestamp, TimeProvider.GetTimestamp());
        }
        if (!ProcessFrames(ref buffer))
        {
            return ReadOutcome.RemoteGoAwayError;
        }
        if (closing && _streams.Count == 0 && _pendingOpens.IsEmpty)
        {
            return ReadOutcome.LocalClose;
        }
        return isCompleted ? ReadOutcome.EndOfInput : ReadOutcome.Continue;
    }

    /// <summary>
    /// Applies what other threads queued. Pending opens go first: an outbound stream is enqueued before its SYN can be
    /// written, so it is in the table before any reply to it can have been read.
    /// </summary>
    private void DrainOffLoopQueues()
    {
        while (_pendingOpens.TryDequeue(out YamuxStream? opened))
        {
            _streams.Add(opened.StreamId, opened);
        }
        while (_streamsToReview.TryDequeue(out YamuxStream? stream))
        {
            if (_streams.TryGetValue(stream.StreamId, out YamuxStream? current) && current == stream
                && (stream.IsReset || stream.IsFullyClosed))
            {
                RemoveStream(stream);
            }
        }
    }

    /// <returns>false when the peer ended the session with an error GoAway.</returns>
    private bool ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (_payloadRemaining > 0)
            {
                if (buffer.IsEmpty)
                {
                    return true;
                }
                ReadOnlySequence<byte> chunk = buffer.Slice(0, Math.Min(buffer.Length, _payloadRemaining));
                _payloadStream?.Deliver(chunk, _payloadRemaining);
                buffer = buffer.Slice(chunk.End);
                _payloadRemaining -= chunk.Length;
                if (_payloadRemaining > 0)
                {
                    _payloadStream?.FlushInbound(); // let the application start on a large frame
                    return true;
                }
                EndPayload();
                continue;
            }

            OperationStatus status = YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out YamuxError error);
            if (status == OperationStatus.NeedMoreData)
            {
                return true;
            }
            if (status != OperationStatus.Done)
            {
                YamuxProtocolException.Throw(error);
            }
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                Log.FrameReceived(_logger, header.Type, header.Flags, header.StreamId, header.Length);
            }
            switch (header.Type)
            {
                case YamuxFrameType.Data:
                case YamuxFrameType.WindowUpdate:
                    if (header.StreamId == YamuxHeader.SessionId)
                    {
                        YamuxProtocolException.Throw(YamuxError.InvalidStreamId, $"{header.Type} on stream 0");
                    }
                    OnStreamFrame(header);
                    break;
                case YamuxFrameType.Ping:
                    if (header.StreamId != YamuxHeader.SessionId)
                    {
                        YamuxProtocolException.Throw(YamuxError.InvalidStreamId, $"Ping on stream {header.StreamId}");
                    }
                    OnPing(header);
                    break;
                default:
                    if (header.StreamId != YamuxHeader.SessionId)
                    {
                        YamuxProtocolException.Throw(YamuxError.InvalidStreamId, $"GoAway on stream {header.StreamId}");
                    }
                    if (!OnGoAway((YamuxGoAwayCode)header.Length))
                    {
                        return false;
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// Data and WindowUpdate frames. SYN, ACK, FIN and RST mean the same on both types (js opens with WindowUpdate+SYN,
    /// others with Data+SYN); only the length differs: payload size, window delta, or (WindowUpdate+RST) an error code.
    /// </summary>
    private void OnStreamFrame(in YamuxHeader header)
    {
        YamuxFlags flags = header.Flags;
        YamuxStream? stream;
        if ((flags & YamuxFlags.Syn) != 0)
        {
            stream = OpenInboundStream(header.StreamId, flags);
        }
        else
        {
            _streams.TryGetValue(header.StreamId, out stream);
        }

        if (stream is not null)
        {
            if ((flags & YamuxFlags.Ack) != 0 && stream.IsInitiator && !stream.AckAccounted)
            {
                stream.AckAccounted = true;
                Interlocked.Decrement(ref _unackedOutboundCount);
            }
            if ((flags & YamuxFlags.Rst) != 0)
            {
                stream.OnRemoteReset(header.Type == YamuxFrameType.WindowUpdate ? header.Length : 0);
                RemoveStream(stream);
                stream = null; // a Data+RST payload is discarded
            }
        }

        if (header.Type == YamuxFrameType.Data)
        {
            // After the peer's FIN nothing more may arrive (a peer bug), and after our reset nobody reads: discard.
            if (stream is not null && (stream.InboundCompleted || stream.IsReset))
            {
                stream = null;
            }
            // The window is checked here, at header time, before a single payload byte is buffered.
            if (stream is not null && !stream.TryTakeReceiveCredit(header.Length))
            {
                YamuxProtocolException.Throw(YamuxError.ReceiveWindowExceeded,
                    $"stream {header.StreamId}: {header.Length} bytes with {stream.ReceiveWindowSize} bytes window");
            }
            _payloadStream = stream;
            _payloadRemaining = header.Length;
            _payloadFin = (flags & YamuxFlags.Fin) != 0;
            if (_payloadRemaining == 0)
            {
                EndPayload();
            }
            return;
        }

        if (stream is null)
        {
            return; // unknown or already closed stream: go, rust and js ignore these too
        }
        if (header.Length > 0 && stream.AddSendWindow(header.Length) > uint.MaxValue)
        {
            YamuxProtocolException.Throw(YamuxError.SendWindowOverflow, $"stream {header.StreamId}");
        }
        if ((flags & YamuxFlags.Fin) != 0)
        {
            OnRemoteFin(stream);
        }
    }

    private void EndPayload()
    {
        YamuxStream? stream = _payloadStream;
        _payloadStream = null;
        _payloadRemaining = 0;
        if (stream is not null)
        {
            stream.FlushInbound();
            if (_payloadFin)
            {
                OnRemoteFin(stream);
            }
        }
    }

    private void OnRemoteFin(YamuxStream stream)
    {
        if (!stream.IsRemoteClosed && stream.OnRemoteFin())
        {
            RemoveStream(stream); // our FIN was already written: closed both ways
        }
    }

    /// <summary>A SYN from the peer: validate the id, then register the stream or refuse it with RST.</summary>
    private YamuxStream? OpenInboundStream(uint id, YamuxFlags flags)
    {
        // The client (initiator) uses odd ids, the server even; the peer must use the other parity.
        if (((id & 1) == 1) == IsInitiator)
        {
            YamuxProtocolException.Throw(YamuxError.WrongStreamIdParity, $"stream {id}");
        }
        if (_streams.ContainsKey(id))
        {
            YamuxProtocolException.Throw(YamuxError.DuplicateStream, $"stream {id}");
        }
        if (!_seenInboundIds.TryMarkSeen(id))
        {
            YamuxProtocolException.Throw(YamuxError.ReusedStreamId, $"stream {id}");
        }
        if ((flags & YamuxFlags.Rst) != 0)
        {
            return null; // opened and reset in one frame: nothing to accept
        }

        string refusal;
        if (Volatile.Read(ref _localClosing) != 0)
        {
            refusal = "the session is closing";
        }
        else if (_inboundStreamCount >= Options.MaxInboundStreams)
        {
            refusal = "too many inbound streams";
        }
        else
        {
            var stream = new YamuxStream(this, id, isInitiator: false, _inboundPipeOptions, _outboundPipeOptions);
            if (_acceptQueue.Writer.TryWrite(stream))
            {
                _streams.Add(id, stream);
                _inboundStreamCount++;
                return stream;
            }
            refusal = "the accept backlog is full";
        }
        Log.StreamRefused(_logger, id, refusal);
        TryEnqueueControl(YamuxHeader.WindowUpdate(id, YamuxFlags.Rst, 0));
        return null;
    }

    private void RemoveStream(YamuxStream stream)
    {
        if (!_streams.Remove(stream.StreamId))
        {
            return;
        }
        if (_payloadStream == stream)
        {
            // Removed in the middle of one of its Data frames (a local reset or CloseAsync, applied at the start of a
            // read, before the rest of the payload): the rest is discarded like data for any closed stream. Delivering
            // it would write into the inbound pipe completed below, which throws and took the whole session down with
            // GoAway(internal error).
            _payloadStream = null;
        }
        if (stream.IsInitiator)
        {
            Interlocked.Decrement(ref _outboundStreamCount);
            if (!stream.AckAccounted)
            {
                stream.AckAccounted = true;
                Interlocked.Decrement(ref _unackedOutboundCount);
            }
        }
        else
        {
            _inboundStreamCount--;
        }
        stream.CompleteInbound(null); // no-op after FIN; after a local reset, Input fails with it
    }

    private void OnPing(in YamuxHeader header)
    {
        if ((header.Flags & YamuxFlags.Syn) != 0)
        {
            TryEnqueueControl(YamuxHeader.Ping(YamuxFlags.Ack, header.Length)); // echo the opaque value
        }
        else if ((header.Flags & YamuxFlags.Ack) != 0)
        {
            OnPong(header.Length);
        }
        else
        {
            YamuxProtocolException.Throw(YamuxError.InvalidPingFlags, $"flags {header.Flags}");
        }
    }

    /// <returns>false when the session must end (any code but normal).</returns>
    private bool OnGoAway(YamuxGoAwayCode code)
    {
        Log.RemoteGoAway(_logger, code);
        Interlocked.CompareExchange(ref _remoteGoAway, (long)(uint)code + 1, 0);
        // Normal: no new outbound streams, the open ones continue until the peer closes the connection (hashicorp
        // semantics; go and js close right after sending it). An error code ends the session now.
        return code == YamuxGoAwayCode.Normal;
    }

    /// <summary>CloseAsync was called: accepting ends, and streams the application has not accepted are reset.</summary>
    private void BeginClosing()
    {
        _closingObserved = true;
        _acceptQueue.Writer.TryComplete(ClosedException());
        while (_acceptQueue.Reader.TryRead(out YamuxStream? unaccepted))
        {
            unaccepted.ResetLocally();
            RemoveStream(unaccepted);
        }
    }
}
