using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mesh.Transport.Identity;

/// <summary>
/// The OpenSSH one-line public key text that mesh's record validators (<c>[owner:…]</c>) and authorizers
/// (<c>AccessToken.public_key</c>) carry: the key type, a space, and the base64 of the RFC 4253 §6.6 wire blob.
/// <code>
///   ssh-ed25519 AAAA…     blob = string "ssh-ed25519" ‖ string key (32 bytes)
///   ssh-rsa AAAA…         blob = string "ssh-rsa" ‖ mpint e ‖ mpint n
///   string = uint32 big-endian length ‖ bytes;   mpint = string of a minimal two's-complement big-endian integer
/// </code>
/// Formatting produces exactly what Python's <c>public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)</c> does (no
/// comment). Parsing follows <c>load_ssh_public_key</c> as mesh's <c>load_public_key_from_bytes</c> uses it (RSA or
/// Ed25519, an optional comment after a space) but strictly: canonical base64 with padding, minimal mpints, no bytes
/// after the blob, the type inside the blob equal to the one outside. Text is bytes (ASCII) because mesh handles it
/// as bytes; the string overloads are conveniences.
/// </summary>
public static class OpenSshPublicKey
{
    /// <summary>The longest text accepted (a 16384-bit RSA key is about 2.8 KB; the rest allows a comment).</summary>
    public const int MaxTextLength = 8192;

    private const int MaxBlobLength = 4096;

    private static ReadOnlySpan<byte> Ed25519Name => "ssh-ed25519"u8;

    private static ReadOnlySpan<byte> RsaName => "ssh-rsa"u8;

    /// <summary>The length of the text <see cref="TryFormat"/> writes for <paramref name="key"/>.</summary>
    /// <exception cref="NotSupportedException">The key is neither RSA nor Ed25519 (OpenSSH forms exist only for those here).</exception>
    public static int GetFormattedLength(PublicKey key)
    {
        ReadOnlySpan<byte> name = TypeName(key);
        return name.Length + 1 + Base64.GetMaxEncodedToUtf8Length(GetBlobLength(key));
    }

    /// <summary>Writes <c>ssh-ed25519 AAAA…</c> / <c>ssh-rsa AAAA…</c> (ASCII, no comment, no newline).</summary>
    /// <returns>False when the destination is shorter than <see cref="GetFormattedLength"/>.</returns>
    public static bool TryFormat(PublicKey key, Span<byte> destination, out int bytesWritten)
    {
        int total = GetFormattedLength(key);
        if (destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }
        ReadOnlySpan<byte> name = TypeName(key);
        name.CopyTo(destination);
        destination[name.Length] = (byte)' ';
        int blobLength = GetBlobLength(key);
        Span<byte> base64 = destination[(name.Length + 1)..];
        // Write the blob at the start of the base64 area and encode in place (Base64.EncodeToUtf8InPlace works from
        // the end backwards), so no second buffer is needed.
        WriteBlob(key, base64[..blobLength]);
        Base64.EncodeToUtf8InPlace(base64, blobLength, out int encoded);
        bytesWritten = name.Length + 1 + encoded;
        return true;
    }

    /// <summary>The OpenSSH text as ASCII bytes, e.g. <c>ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…</c>.</summary>
    public static byte[] Format(PublicKey key)
    {
        byte[] result = new byte[GetFormattedLength(key)];
        TryFormat(key, result, out int written);
        return written == result.Length ? result : result.AsSpan(0, written).ToArray();
    }

    /// <summary>The OpenSSH text as a string.</summary>
    public static string FormatString(PublicKey key) => Encoding.ASCII.GetString(Format(key));

    /// <summary>Parses <c>ssh-ed25519 AAAA… [comment]</c> or <c>ssh-rsa AAAA… [comment]</c> (ASCII bytes).</summary>
    /// <exception cref="KeyFormatException">Not an OpenSSH RSA or Ed25519 public key, or the key inside is invalid.</exception>
    public static PublicKey Parse(ReadOnlySpan<byte> text)
    {
        if (text.Length > MaxTextLength)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidLength, $"OpenSSH public key text is longer than {MaxTextLength} bytes");
        }
        int space = text.IndexOf((byte)' ');
        if (space <= 0)
        {
            KeyFormatException.Throw(text.IsEmpty ? KeyFormatError.Truncated : KeyFormatError.InvalidEncoding,
                "OpenSSH public key must be '<type> <base64>'");
        }
        ReadOnlySpan<byte> name = text[..space];
        bool isEd25519 = name.SequenceEqual(Ed25519Name);
        if (!isEd25519 && !name.SequenceEqual(RsaName))
        {
            KeyFormatException.Throw(KeyFormatError.UnknownKeyType, "OpenSSH key type must be ssh-ed25519 or ssh-rsa");
        }
        ReadOnlySpan<byte> base64 = text[(space + 1)..];
        int end = base64.IndexOfAny((byte)' ', (byte)'\r', (byte)'\n');
        if (end >= 0)
        {
            // What follows is a comment (after a space) or the line end; a line end must be the last thing.
            ReadOnlySpan<byte> rest = base64[end..];
            if (rest[0] != (byte)' ' && rest.IndexOfAnyExcept((byte)'\r', (byte)'\n') >= 0)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH public key has text after the line end");
            }
            base64 = base64[..end];
        }
        if (base64.IsEmpty)
        {
            KeyFormatException.Throw(KeyFormatError.Truncated, "OpenSSH public key has no base64 blob");
        }
        if (base64.Length > Base64.GetMaxEncodedToUtf8Length(MaxBlobLength))
        {
            KeyFormatException.Throw(KeyFormatError.InvalidLength, "OpenSSH public key blob is too long");
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(Base64.GetMaxDecodedFromUtf8Length(base64.Length));
        try
        {
            OperationStatus status = Base64.DecodeFromUtf8(base64, rented, out int consumed, out int blobLength);
            if (status != OperationStatus.Done || consumed != base64.Length)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH public key blob is not valid base64");
            }
            return ParseBlob(rented.AsSpan(0, blobLength), isEd25519);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte})"/>
    public static PublicKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxTextLength || !Ascii.IsValid(text))
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH public key text must be ASCII and at most 8192 characters");
        }
        return Parse(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Parses OpenSSH public key text without throwing for bad input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, [NotNullWhen(true)] out PublicKey? key)
    {
        try
        {
            key = Parse(text);
            return true;
        }
        catch (KeyFormatException)
        {
            key = null;
            return false;
        }
    }

    /// <summary>The RFC 4253 §6.6 wire blob (without base64), e.g. for an SSH fingerprint.</summary>
    public static byte[] GetBlob(PublicKey key)
    {
        byte[] blob = new byte[GetBlobLength(key)];
        WriteBlob(key, blob);
        return blob;
    }

    private static PublicKey ParseBlob(ReadOnlySpan<byte> blob, bool isEd25519)
    {
        ReadOnlySpan<byte> expectedName = isEd25519 ? Ed25519Name : RsaName;
        if (!TryReadString(ref blob, out ReadOnlySpan<byte> innerName))
        {
            KeyFormatException.Throw(KeyFormatError.Truncated, "OpenSSH public key blob is truncated (key type)");
        }
        if (!innerName.SequenceEqual(expectedName))
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH key type inside the blob differs from the one outside");
        }
        PublicKey key;
        if (isEd25519)
        {
            if (!TryReadString(ref blob, out ReadOnlySpan<byte> point))
            {
                KeyFormatException.Throw(KeyFormatError.Truncated, "OpenSSH Ed25519 blob is truncated (key)");
            }
            key = Ed25519PublicKey.FromBytes(point);
        }
        else
        {
            if (!TryReadMpint(ref blob, out ReadOnlySpan<byte> exponent) || !TryReadMpint(ref blob, out ReadOnlySpan<byte> modulus))
            {
                KeyFormatException.Throw(KeyFormatError.Truncated, "OpenSSH RSA blob is truncated (e, n)");
                return null!;
            }
            key = RsaPublicKey.FromModulusAndExponent(modulus, exponent);
        }
        if (!blob.IsEmpty)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"{blob.Length} unexpected bytes after the OpenSSH key blob");
        }
        return key;
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> blob, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (blob.Length < 4)
        {
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (length > (uint)(blob.Length - 4))
        {
            return false;
        }
        value = blob.Slice(4, (int)length);
        blob = blob[(4 + (int)length)..];
        return true;
    }

    /// <summary>Reads a non-negative, minimally encoded mpint (RFC 4251 §5) as its unsigned magnitude.</summary>
    private static bool TryReadMpint(ref ReadOnlySpan<byte> blob, out ReadOnlySpan<byte> magnitude)
    {
        if (!TryReadString(ref blob, out magnitude))
        {
            return false;
        }
        if (magnitude.IsEmpty)
        {
            return true;  // zero: rejected by the RSA range checks with a clearer message
        }
        if ((magnitude[0] & 0x80) != 0)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH mpint is negative");
        }
        if (magnitude[0] == 0)
        {
            if (magnitude.Length == 1 || (magnitude[1] & 0x80) == 0)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "OpenSSH mpint has an unnecessary leading zero");
            }
            magnitude = magnitude[1..];
        }
        return true;
    }

    private static ReadOnlySpan<byte> TypeName(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Type switch
        {
            KeyType.Ed25519 => Ed25519Name,
            KeyType.Rsa => RsaName,
            _ => throw new NotSupportedException($"no OpenSSH form for {key.Type} keys here (mesh uses RSA and Ed25519)"),
        };
    }

    private static int GetBlobLength(PublicKey key)
    {
        ReadOnlySpan<byte> name = TypeName(key);
        if (key is RsaPublicKey rsa)
        {
            return 4 + name.Length + MpintLength(rsa.Exponent) + MpintLength(rsa.Modulus);
        }
        return 4 + name.Length + 4 + Ed25519PublicKey.KeyLength;
    }

    private static void WriteBlob(PublicKey key, Span<byte> destination)
    {
        int offset = WriteString(destination, TypeName(key));
        if (key is RsaPublicKey rsa)
        {
            offset += WriteMpint(destination[offset..], rsa.Exponent);
            WriteMpint(destination[offset..], rsa.Modulus);
        }
        else
        {
            WriteString(destination[offset..], key.Data);
        }
    }

    private static int MpintLength(ReadOnlySpan<byte> magnitude) => 4 + magnitude.Length + ((magnitude[0] & 0x80) != 0 ? 1 : 0);

    private static int WriteString(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)value.Length);
        value.CopyTo(destination[4..]);
        return 4 + value.Length;
    }

    private static int WriteMpint(Span<byte> destination, ReadOnlySpan<byte> magnitude)
    {
        // Modulus and exponent are stored without leading zeros; a set top bit needs a 0x00 sign byte.
        bool pad = (magnitude[0] & 0x80) != 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(magnitude.Length + (pad ? 1 : 0)));
        int offset = 4;
        if (pad)
        {
            destination[offset++] = 0;
        }
        magnitude.CopyTo(destination[offset..]);
        return offset + magnitude.Length;
    }
}
