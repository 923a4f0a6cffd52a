using System.Diagnostics.CodeAnalysis;
using System.Text;
using Mesh.Multistream.Protobuf;

namespace Mesh.Transport.Noise;

/// <summary>
/// Hand-written proto2 codec for <see cref="NoiseHandshakePayload"/> (schema and field numbers there). Decoding
/// follows protobuf rules (unknown fields skipped, a repeated optional field keeps its last value, repeated embedded
/// messages merge) and enforces a size limit on every field before copying it out; encoding is canonical: fields in
/// number order, absent extensions omitted, minimal varints.
/// </summary>
internal static class NoisePayloadCodec
{
    // A libp2p PublicKey protobuf: RSA-8192 (the largest size go-libp2p accepts) is about 1.1 KB of DER.
    public const int MaxIdentityKeyLength = 4096;

    // An RSA-16384 PKCS#1 signature is 2 KB; Ed25519 64 bytes; ECDSA DER about 72.
    public const int MaxIdentitySignatureLength = 4096;

    // js-libp2p caps protocol ids at 1024 bytes.
    public const int MaxStreamMuxers = 32;
    public const int MaxStreamMuxerLength = 1024;

    // A cert hash is a multihash (sha2-256: 34 bytes).
    public const int MaxCertHashes = 32;
    public const int MaxCertHashLength = 256;

    private const int FieldIdentityKey = 1;
    private const int FieldIdentitySignature = 2;
    private const int FieldExtensions = 4;
    private const int FieldCertHashes = 1;
    private const int FieldStreamMuxers = 2;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes a payload, or throws <see cref="NoiseHandshakeException"/> with <see cref="NoiseError.InvalidPayload"/>.</summary>
    public static NoiseHandshakePayload Decode(ReadOnlySpan<byte> data)
    {
        if (!TryDecode(data, out NoiseHandshakePayload? payload, out NoisePayloadError error))
        {
            NoiseThrow.Handshake(NoiseError.InvalidPayload, $"The Noise handshake payload is not a valid NoiseHandshakePayload: {error}.");
        }
        return payload;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out NoiseHandshakePayload? payload, out NoisePayloadError error)
    {
        payload = null;
        var reader = new ProtobufSpanReader(data);
        ReadOnlySpan<byte> identityKey = default;
        ReadOnlySpan<byte> identitySignature = default;
        List<ReadOnlyMemory<byte>>? certHashes = null;
        List<string>? muxers = null;
        bool hasExtensions = false;
        while (!reader.IsAtEnd)
        {
            error = (NoisePayloadError)reader.ReadTag(out int field, out int wireType);
            if (error != NoisePayloadError.None)
            {
                return false;
            }
            if (field is FieldIdentityKey or FieldIdentitySignature or FieldExtensions)
            {
                if (wireType != ProtobufSpanReader.WireLengthDelimited)
                {
                    error = NoisePayloadError.InvalidTag;
                    return false;
                }
                error = (NoisePayloadError)reader.ReadLengthDelimited(out ReadOnlySpan<byte> value);
                if (error != NoisePayloadError.None)
                {
                    return false;
                }
                switch (field)
                {
                    case FieldIdentityKey when value.Length > MaxIdentityKeyLength:
                    case FieldIdentitySignature when value.Length > MaxIdentitySignatureLength:
                        error = NoisePayloadError.FieldTooLong;
                        return false;
                    case FieldIdentityKey:
                        identityKey = value;
                        break;
                    case FieldIdentitySignature:
                        identitySignature = value;
                        break;
                    default:
                        hasExtensions = true;
                        error = DecodeExtensions(value, ref certHashes, ref muxers);
                        if (error != NoisePayloadError.None)
                        {
                            return false;
                        }
                        break;
                }
            }
            else
            {
                error = (NoisePayloadError)reader.SkipField(field, wireType);
                if (error != NoisePayloadError.None)
                {
                    return false;
                }
            }
        }
        error = NoisePayloadError.None;
        payload = new NoiseHandshakePayload
        {
            IdentityKey = identityKey.ToArray(),
            IdentitySignature = identitySignature.ToArray(),
            Extensions = hasExtensions
                ? new NoiseExtensions { WebTransportCertHashes = certHashes ?? [], StreamMuxers = muxers ?? [] }
                : null,
        };
        return true;
    }

    /// <summary>The encoded size of a payload.</summary>
    public static int GetEncodedLength(NoiseHandshakePayload payload)
    {
        int length = 0;
        if (!payload.IdentityKey.IsEmpty)
        {
            length += LengthDelimitedSize(payload.IdentityKey.Length);
        }
        if (!payload.IdentitySignature.IsEmpty)
        {
            length += LengthDelimitedSize(payload.IdentitySignature.Length);
        }
        if (payload.Extensions is { } extensions)
        {
            length += LengthDelimitedSize(GetExtensionsLength(extensions));
        }
        return length;
    }

    /// <summary>Encodes a payload into <paramref name="destination"/>; false when it does not fit.</summary>
    public static bool TryWrite(NoiseHandshakePayload payload, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < GetEncodedLength(payload))
        {
            return false;
        }
        int position = 0;
        if (!payload.IdentityKey.IsEmpty)
        {
            position += WriteBytesField(destination[position..], FieldIdentityKey, payload.IdentityKey.Span);
        }
        if (!payload.IdentitySignature.IsEmpty)
        {
            position += WriteBytesField(destination[position..], FieldIdentitySignature, payload.IdentitySignature.Span);
        }
        if (payload.Extensions is { } extensions)
        {
            position += WriteTag(destination[position..], FieldExtensions, ProtobufSpanReader.WireLengthDelimited);
            position += WriteVarint(destination[position..], (uint)GetExtensionsLength(extensions));
            foreach (ReadOnlyMemory<byte> hash in extensions.WebTransportCertHashes)
            {
                position += WriteBytesField(destination[position..], FieldCertHashes, hash.Span);
            }
            foreach (string muxer in extensions.StreamMuxers)
            {
                position += WriteTag(destination[position..], FieldStreamMuxers, ProtobufSpanReader.WireLengthDelimited);
                int count = Encoding.UTF8.GetByteCount(muxer);
                position += WriteVarint(destination[position..], (uint)count);
                position += Encoding.UTF8.GetBytes(muxer, destination[position..]);
            }
        }
        written = position;
        return true;
    }

    /// <summary>Encodes a payload into a new array (handshake only, once per connection).</summary>
    public static byte[] Encode(NoiseHandshakePayload payload)
    {
        var bytes = new byte[GetEncodedLength(payload)];
        TryWrite(payload, bytes, out _);
        return bytes;
    }

    private static NoisePayloadError DecodeExtensions(ReadOnlySpan<byte> data, ref List<ReadOnlyMemory<byte>>? certHashes, ref List<string>? muxers)
    {
        var reader = new ProtobufSpanReader(data);
        while (!reader.IsAtEnd)
        {
            NoisePayloadError error = (NoisePayloadError)reader.ReadTag(out int field, out int wireType);
            if (error != NoisePayloadError.None)
            {
                return error;
            }
            if (field is not (FieldCertHashes or FieldStreamMuxers))
            {
                error = (NoisePayloadError)reader.SkipField(field, wireType);
                if (error != NoisePayloadError.None)
                {
                    return error;
                }
                continue;
            }
            if (wireType != ProtobufSpanReader.WireLengthDelimited)
            {
                return NoisePayloadError.InvalidTag;
            }
            error = (NoisePayloadError)reader.ReadLengthDelimited(out ReadOnlySpan<byte> value);
            if (error != NoisePayloadError.None)
            {
                return error;
            }
            if (field == FieldCertHashes)
            {
                certHashes ??= [];
                if (certHashes.Count == MaxCertHashes)
                {
                    return NoisePayloadError.TooManyEntries;
                }
                if (value.Length > MaxCertHashLength)
                {
                    return NoisePayloadError.FieldTooLong;
                }
                certHashes.Add(value.ToArray());
            }
            else
            {
                muxers ??= [];
                if (muxers.Count == MaxStreamMuxers)
                {
                    return NoisePayloadError.TooManyEntries;
                }
                if (value.Length > MaxStreamMuxerLength)
                {
                    return NoisePayloadError.FieldTooLong;
                }
                string muxer;
                try
                {
                    muxer = s_strictUtf8.GetString(value);
                }
                catch (DecoderFallbackException)
                {
                    return NoisePayloadError.InvalidUtf8;
                }
                muxers.Add(muxer);
            }
        }
        return NoisePayloadError.None;
    }

    private static int GetExtensionsLength(NoiseExtensions extensions)
    {
        int length = 0;
        foreach (ReadOnlyMemory<byte> hash in extensions.WebTransportCertHashes)
        {
            length += LengthDelimitedSize(hash.Length);
        }
        foreach (string muxer in extensions.StreamMuxers)
        {
            length += LengthDelimitedSize(Encoding.UTF8.GetByteCount(muxer));
        }
        return length;
    }

    // Field numbers here are below 16, so every tag is one byte.
    private static int LengthDelimitedSize(int length) => 1 + VarintSize((uint)length) + length;

    private static int VarintSize(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private static int WriteBytesField(Span<byte> destination, int field, ReadOnlySpan<byte> value)
    {
        int position = WriteTag(destination, field, ProtobufSpanReader.WireLengthDelimited);
        position += WriteVarint(destination[position..], (uint)value.Length);
        value.CopyTo(destination[position..]);
        return position + value.Length;
    }

    private static int WriteTag(Span<byte> destination, int field, int wireType) =>
        WriteVarint(destination, (uint)(field << 3 | wireType));

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }
}
