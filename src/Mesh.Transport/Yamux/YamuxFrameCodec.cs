using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Mesh.Transport.Yamux;

/// <summary>
/// The yamux header codec (hashicorp/yamux spec.md "Framing"; libp2p/specs yamux/README.md). All fields are big endian:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Version (8)  |    Type (8)   |           Flags (16)          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Stream ID (32)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Length (32)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            Data payload (Length bytes, Data frames only)  ... |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Unknown flag bits are carried through, not rejected (the spec reserves none and go/js ignore them).
/// </summary>
public static class YamuxFrameCodec
{
    /// <summary>
    /// Decodes one header from the front of <paramref name="buffer"/>. <see cref="OperationStatus.Done"/>: the buffer is
    /// sliced past the 12 header bytes (a Data frame's payload is not consumed). <see cref="OperationStatus.NeedMoreData"/>:
    /// fewer than 12 bytes, buffer untouched. <see cref="OperationStatus.InvalidData"/>: bad version or type, buffer
    /// untouched, <paramref name="error"/> says which.
    /// </summary>
    public static OperationStatus TryReadHeader(ref ReadOnlySequence<byte> buffer, out YamuxHeader header, out YamuxError error)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        OperationStatus status;
        if (first.Length >= YamuxHeader.Size)
        {
            status = TryReadHeader(first, out header, out error);
        }
        else if (buffer.Length < YamuxHeader.Size)
        {
            header = default;
            error = YamuxError.None;
            return OperationStatus.NeedMoreData;
        }
        else
        {
            status = TryReadHeaderMultiSegment(buffer, out header, out error);
        }
        if (status == OperationStatus.Done)
        {
            buffer = buffer.Slice(YamuxHeader.Size);
        }
        return status;
    }

    /// <summary>Span form of <see cref="TryReadHeader(ref ReadOnlySequence{byte}, out YamuxHeader, out YamuxError)"/> (nothing is sliced).</summary>
    public static OperationStatus TryReadHeader(ReadOnlySpan<byte> source, out YamuxHeader header, out YamuxError error)
    {
        header = default;
        if (source.Length < YamuxHeader.Size)
        {
            error = YamuxError.None;
            return OperationStatus.NeedMoreData;
        }
        if (source[0] != YamuxHeader.ProtocolVersion)
        {
            error = YamuxError.InvalidVersion;
            return OperationStatus.InvalidData;
        }
        byte type = source[1];
        if (type > (byte)YamuxFrameType.GoAway)
        {
            error = YamuxError.InvalidFrameType;
            return OperationStatus.InvalidData;
        }
        header = new YamuxHeader(
            (YamuxFrameType)type,
            (YamuxFlags)BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2)),
            BinaryPrimitives.ReadUInt32BigEndian(source.Slice(4)),
            BinaryPrimitives.ReadUInt32BigEndian(source.Slice(8)));
        error = YamuxError.None;
        return OperationStatus.Done;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static OperationStatus TryReadHeaderMultiSegment(in ReadOnlySequence<byte> buffer, out YamuxHeader header, out YamuxError error)
    {
        Span<byte> copy = stackalloc byte[YamuxHeader.Size];
        buffer.Slice(0, YamuxHeader.Size).CopyTo(copy);
        return TryReadHeader(copy, out header, out error);
    }

    /// <summary>Writes the 12 header bytes; false (nothing written) if <paramref name="destination"/> is shorter.</summary>
    public static bool TryWriteHeader(Span<byte> destination, in YamuxHeader header, out int bytesWritten)
    {
        if (destination.Length < YamuxHeader.Size)
        {
            bytesWritten = 0;
            return false;
        }
        WriteHeaderUnchecked(destination, header);
        bytesWritten = YamuxHeader.Size;
        return true;
    }

    /// <summary>Writes the 12 header bytes into a destination the caller sized (GetSpan(12)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WriteHeaderUnchecked(Span<byte> destination, in YamuxHeader header)
    {
        Debug.Assert(destination.Length >= YamuxHeader.Size);
        // One bounds check for the whole header, then plain stores.
        Span<byte> d = destination.Slice(0, YamuxHeader.Size);
        d[0] = YamuxHeader.ProtocolVersion;
        d[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(d.Slice(2), (ushort)header.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(d.Slice(4), header.StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(d.Slice(8), header.Length);
    }

    /// <summary>Writes a header through an <see cref="IBufferWriter{T}"/> (GetSpan/Advance).</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, in YamuxHeader header)
    {
        Span<byte> span = writer.GetSpan(YamuxHeader.Size);
        WriteHeaderUnchecked(span, header);
        writer.Advance(YamuxHeader.Size);
    }
}
