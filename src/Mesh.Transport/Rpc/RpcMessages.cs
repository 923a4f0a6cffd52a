using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Mesh.Transport.Rpc.Streaming;

namespace Mesh.Transport.Rpc;

/// <summary>Protobuf decoding of peer-supplied bytes with the failure kept typed (never an unrelated exception).</summary>
internal static class RpcMessages
{
    /// <summary>Parses <paramref name="bytes"/> straight from the receive buffer (no copy of the payload).</summary>
    public static bool TryParse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> bytes, [NotNullWhen(true)] out T? message)
        where T : class, IMessage<T>
    {
        try
        {
            message = parser.ParseFrom(bytes);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            message = null;
            return false;
        }
    }

    /// <summary>The message text of a streaming error frame (empty for END_OF_STREAM and for an RPCError without text).</summary>
    /// <exception cref="StreamFrameException">The payload is not an <see cref="RPCError"/>.</exception>
    public static string ReadErrorFrame(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return "";
        }
        if (!TryParse(RPCError.Parser, payload, out RPCError? error))
        {
            throw new StreamFrameException(StreamFrameError.MalformedError, StreamFrameException.Describe(StreamFrameError.MalformedError, 0, 0));
        }
        return error.Message;
    }

    /// <summary>The full protobuf name of <typeparamref name="T"/> (what Python's DecodeError text names), from an empty instance.</summary>
    public static string FullName<T>(MessageParser<T> parser) where T : IMessage<T> =>
        parser.ParseFrom(ReadOnlySpan<byte>.Empty).Descriptor.FullName;
}
