using System.Buffers;
using MessagePack;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// hivemind/mesh <c>MSGPackSerializer</c> (mesh-reference §3): <c>dumps</c> = msgpack with <c>use_bin_type=True,
/// strict_types=True</c>, tuples as ext 0x40 and <c>DictionaryDHTValue</c> as ext 0x50; <c>loads</c> = <c>raw=False</c>,
/// strict map keys, the same extension hooks. Byte-for-byte equal to msgpack-python 1.0 on every golden vector in
/// <c>vectors/msgpack.json</c>.
/// </summary>
/// <remarks>
/// Built on MessagePack-CSharp's <see cref="MessagePackReader"/>/<see cref="MessagePackWriter"/> primitives only (no
/// reflection serializers: native AOT). Typed fast paths (<see cref="SerializeString"/>, <see cref="SerializeBytes"/>,
/// <see cref="RecordTuple"/>) write common shapes without building a <see cref="MsgValue"/> tree.
/// </remarks>
public static class MsgPackSerializer
{
    /// <summary><c>msgpack(None)</c> = <c>0xc0</c>: also the DHT's <c>IS_REGULAR_VALUE</c> subkey.</summary>
    public static ReadOnlySpan<byte> NilBytes => [0xc0];

    // ---- dumps ---------------------------------------------------------------------------------------------------

    /// <summary><c>dumps(value)</c> into a new array of exactly the encoded length.</summary>
    /// <exception cref="ArgumentException">A string holds a lone surrogate, or the value nests deeper than 511 levels.</exception>
    public static byte[] Serialize(in MsgValue value)
    {
        int length = MsgPackEncoder.Measure(value);
        byte[] result = GC.AllocateUninitializedArray<byte>(length);
        FixedBufferWriter output = FixedBufferWriter.Rent(result);
        try
        {
            var writer = new MessagePackWriter(output);
            MsgPackEncoder.Write(ref writer, value);
            writer.Flush();
            CheckMeasured(output.Written, length);
        }
        finally
        {
            FixedBufferWriter.Return(output);
        }
        return result;
    }

    /// <summary><c>dumps(value)</c> appended to <paramref name="output"/>.</summary>
    public static void Serialize(IBufferWriter<byte> output, in MsgValue value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        MsgPackEncoder.Write(ref writer, value);
        writer.Flush();
    }

    /// <summary>Writes <paramref name="value"/> into a caller's writer (for composing larger messages).</summary>
    public static void Write(ref MessagePackWriter writer, in MsgValue value) => MsgPackEncoder.Write(ref writer, value);

    /// <summary>The exact number of bytes <see cref="Serialize(in MsgValue)"/> produces.</summary>
    public static int GetEncodedLength(in MsgValue value) => MsgPackEncoder.Measure(value);

    /// <summary><c>dumps(str)</c> without building a value: fixstr/str8/str16/str32 + strict UTF-8.</summary>
    public static byte[] SerializeString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int n = MsgPackEncoder.Utf8Length(value);
        byte[] result = GC.AllocateUninitializedArray<byte>(MsgPackFormat.StringHeaderLength(n) + n);
        int header = WriteStringHeader(result, n);
        MsgPackEncoder.s_strictUtf8.GetBytes(value, result.AsSpan(header));
        return result;
    }

    /// <summary>Encoded length of <c>dumps(str)</c>.</summary>
    public static int GetStringEncodedLength(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int n = MsgPackEncoder.Utf8Length(value);
        return MsgPackFormat.StringHeaderLength(n) + n;
    }

    /// <summary>Writes <c>dumps(str)</c> into <paramref name="destination"/>; false if it is too small.</summary>
    public static bool TryWriteString(Span<byte> destination, string value, out int written)
    {
        ArgumentNullException.ThrowIfNull(value);
        int n = MsgPackEncoder.Utf8Length(value);
        int total = MsgPackFormat.StringHeaderLength(n) + n;
        if (destination.Length < total)
        {
            written = 0;
            return false;
        }
        int header = WriteStringHeader(destination, n);
        MsgPackEncoder.s_strictUtf8.GetBytes(value, destination[header..]);
        written = total;
        return true;
    }

    /// <summary><c>dumps(bytes)</c>: bin8/bin16/bin32 + the bytes.</summary>
    public static byte[] SerializeBytes(ReadOnlySpan<byte> value)
    {
        byte[] result = GC.AllocateUninitializedArray<byte>(MsgPackFormat.BinaryLength(value.Length));
        int header = WriteBinaryHeader(result, value.Length);
        value.CopyTo(result.AsSpan(header));
        return result;
    }

    /// <summary><c>dumps(int)</c> in the smallest encoding.</summary>
    public static byte[] SerializeInt64(long value) => Serialize(MsgValue.FromInt64(value));

    /// <summary><c>dumps(float)</c>: always float64 (<c>cb</c> + 8 bytes big-endian).</summary>
    public static byte[] SerializeDouble(double value)
    {
        byte[] result = new byte[MsgPackFormat.Float64Length];
        RecordTuple.WriteFloat64(result, value);
        return result;
    }

    // ---- loads ---------------------------------------------------------------------------------------------------

    /// <summary><c>loads(data)</c>: exactly one value, no trailing bytes.</summary>
    /// <exception cref="MsgPackFormatException">Malformed, truncated, over a limit, or followed by extra bytes.</exception>
    public static MsgValue Deserialize(ReadOnlyMemory<byte> data) => Deserialize(new ReadOnlySequence<byte>(data), MsgPackReadOptions.Default);

    /// <inheritdoc cref="Deserialize(ReadOnlyMemory{byte})"/>
    public static MsgValue Deserialize(ReadOnlyMemory<byte> data, in MsgPackReadOptions options) =>
        Deserialize(new ReadOnlySequence<byte>(data), options);

    /// <summary><c>loads(data)</c> from a span (copied once; bytes values reference the copy).</summary>
    public static MsgValue Deserialize(ReadOnlySpan<byte> data) =>
        Deserialize(new ReadOnlySequence<byte>(data.ToArray()), MsgPackReadOptions.Default with { AliasInput = true });

    /// <inheritdoc cref="Deserialize(ReadOnlyMemory{byte})"/>
    public static MsgValue Deserialize(in ReadOnlySequence<byte> data, in MsgPackReadOptions options)
    {
        var reader = new MessagePackReader(data);
        MsgValue value;
        try
        {
            if (!MsgPackDecoder.TryRead(ref reader, options, 0, out value))
            {
                throw new MsgPackFormatException("The msgpack value is truncated.");
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or MessagePackSerializationException)
        {
            // Defensive: every header is checked before the reader consumes it, so this is a decoder bug surfacing.
            throw new MsgPackFormatException("Malformed msgpack.", ex);
        }
        if (!reader.End)
        {
            // msgpack.loads raises ExtraData.
            throw new MsgPackFormatException($"{data.Length - reader.Consumed} bytes follow the msgpack value.");
        }
        return value;
    }

    /// <summary>
    /// Streaming decode of one value from the front of <paramref name="buffer"/>. <see cref="OperationStatus.Done"/>:
    /// the value is read and <paramref name="buffer"/> is sliced past it (trailing bytes are left for the caller).
    /// <see cref="OperationStatus.NeedMoreData"/>: the buffer holds a proper prefix of a value and is left untouched.
    /// <see cref="OperationStatus.InvalidData"/>: <paramref name="error"/> says why.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, in MsgPackReadOptions options, out MsgValue value, out MsgPackFormatException? error)
    {
        error = null;
        var reader = new MessagePackReader(buffer);
        try
        {
            if (!MsgPackDecoder.TryRead(ref reader, options, 0, out value))
            {
                value = default;
                return OperationStatus.NeedMoreData;
            }
        }
        catch (MsgPackFormatException ex)
        {
            value = default;
            error = ex;
            return OperationStatus.InvalidData;
        }
        catch (Exception ex) when (ex is EndOfStreamException or MessagePackSerializationException)
        {
            value = default;
            error = new MsgPackFormatException("Malformed msgpack.", ex);
            return OperationStatus.InvalidData;
        }
        buffer = buffer.Slice(reader.Position);
        return OperationStatus.Done;
    }

    /// <inheritdoc cref="TryRead(ref ReadOnlySequence{byte}, in MsgPackReadOptions, out MsgValue, out MsgPackFormatException?)"/>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, out MsgValue value, out MsgPackFormatException? error) =>
        TryRead(ref buffer, MsgPackReadOptions.Default, out value, out error);

    // ---- helpers -------------------------------------------------------------------------------------------------

    internal static int WriteStringHeader(Span<byte> destination, int byteCount)
    {
        switch (byteCount)
        {
            case <= 31:
                destination[0] = (byte)(0xa0 | byteCount);
                return 1;
            case <= byte.MaxValue:
                destination[0] = 0xd9;
                destination[1] = (byte)byteCount;
                return 2;
            case <= ushort.MaxValue:
                destination[0] = 0xda;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)byteCount);
                return 3;
            default:
                destination[0] = 0xdb;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)byteCount);
                return 5;
        }
    }

    internal static int WriteBinaryHeader(Span<byte> destination, int byteCount)
    {
        switch (byteCount)
        {
            case <= byte.MaxValue:
                destination[0] = 0xc4;
                destination[1] = (byte)byteCount;
                return 2;
            case <= ushort.MaxValue:
                destination[0] = 0xc5;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)byteCount);
                return 3;
            default:
                destination[0] = 0xc6;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)byteCount);
                return 5;
        }
    }

    private static void CheckMeasured(int written, int measured)
    {
        if (written != measured)
        {
            throw new InvalidOperationException($"msgpack encoder wrote {written} bytes but measured {measured}.");
        }
    }
}
