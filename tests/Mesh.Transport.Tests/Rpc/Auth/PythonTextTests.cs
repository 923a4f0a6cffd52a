using System.Text;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Transport.Tests.Rpc.Auth;

/// <summary>The Python text forms inside the access token, and Python's lenient base64 for signatures (expected values from CPython 3.11).</summary>
public sealed class PythonTextTests
{
    [Theory]
    [InlineData("ssh-ed25519 AAAA", "b'ssh-ed25519 AAAA'")]
    [InlineData("", "b''")]
    [InlineData("it's", "b\"it's\"")]
    [InlineData("it's \"q\"", "b'it\\'s \"q\"'")]
    [InlineData("a\\b", "b'a\\\\b'")]
    [InlineData("\t\n\r", "b'\\t\\n\\r'")]
    public void Bytes_repr_matches_cpython(string input, string expected)
    {
        Assert.Equal(expected, Repr(Encoding.Latin1.GetBytes(input)));
    }

    [Fact]
    public void Bytes_repr_escapes_control_and_high_bytes_as_lowercase_hex()
    {
        Assert.Equal("b'\\x00\\x1f\\x7f\\x80\\xff~'", Repr([0x00, 0x1f, 0x7f, 0x80, 0xff, (byte)'~']));
    }

    [Fact]
    public void Bytes_repr_of_every_byte_fits_the_declared_maximum()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] destination = new byte[PythonText.MaxBytesReprLength(all.Length)];
        int written = PythonText.WriteBytesRepr(all, destination);
        Assert.True(written <= destination.Length);
    }

    [Theory]
    [InlineData("2023-11-14T22:14:20.250000+00:00", "2023-11-14 22:14:20.250000+00:00")]
    [InlineData("2024-01-02T03:05:05+00:00", "2024-01-02 03:05:05+00:00")]
    [InlineData("2024-01-02T03:05:05.000001+00:00", "2024-01-02 03:05:05.000001+00:00")]
    public void Utc_datetime_str_matches_python(string iso, string expected)
    {
        Assert.Equal(expected, PythonText.FormatUtcDateTime(DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Sub_microsecond_ticks_are_truncated_like_python_datetimes()
    {
        DateTimeOffset t = new DateTimeOffset(2024, 1, 2, 3, 5, 5, TimeSpan.Zero).AddTicks(9);
        Assert.Equal("2024-01-02 03:05:05+00:00", PythonText.FormatUtcDateTime(t));
    }

    [Theory]
    [InlineData("2023-11-14 22:14:20.250000+00:00", "2023-11-14T22:14:20.2500000+00:00")]
    [InlineData("2023-11-14 22:14:20+00:00", "2023-11-14T22:14:20.0000000+00:00")]
    [InlineData("2023-11-14 22:14:20.25+00:00", "2023-11-14T22:14:20.2500000+00:00")]
    [InlineData("2023-11-14T22:14:20", "2023-11-14T22:14:20.0000000+00:00")]
    [InlineData("2023-11-14 23:14:20+01:00", "2023-11-14T22:14:20.0000000+00:00")]
    [InlineData("2023-11-14 21:13:50-00:30:30", "2023-11-14T21:44:20.0000000+00:00")]
    [InlineData("2023-11-14 22:14:20Z", "2023-11-14T22:14:20.0000000+00:00")]
    public void Datetime_text_parses_to_the_instant_it_names(string text, string expectedUtc)
    {
        Assert.True(PythonText.TryParseDateTime(text, out DateTimeOffset value), text);
        Assert.Equal(expectedUtc, value.ToUniversalTime().ToString("o", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2023-13-14 22:14:20+00:00")]
    [InlineData("2023-02-30 22:14:20+00:00")]
    [InlineData("2023-11-14 24:14:20+00:00")]
    [InlineData("2023-11-14 22:14:20.+00:00")]
    [InlineData("2023-11-14 22:14:20.1234567+00:00")]
    [InlineData("2023-11-14 22:14:20+0000")]
    [InlineData("2023-11-14 22:14:20+24:00")]
    [InlineData("2023-11-14 22:14:20 trailing")]
    public void Malformed_datetime_text_is_rejected(string text)
    {
        Assert.False(PythonText.TryParseDateTime(text, out _));
    }

    [Theory]
    // Canonical and non-canonical inputs with the bytes CPython's base64.b64decode returns for them.
    [InlineData("AAECAw==", "00010203")]
    [InlineData("AAEC", "000102")]
    [InlineData("AA EC\nAw==", "00010203")]          // whitespace is skipped
    [InlineData("AAEC-_Aw==", "00010203")]            // url-safe characters are not in the alphabet: skipped
    [InlineData("AAECAw==trailing", "00010203")]      // decoding stops after a complete pad sequence
    [InlineData("AA=EC", "000102")]                   // a pad before two data characters of a quad is ignored
    public void Lenient_base64_decodes_as_cpython_does(string encoded, string expectedHex)
    {
        byte[] destination = new byte[PythonBase64.MaxDecodedLength(encoded.Length)];
        Assert.True(PythonBase64.TryDecode(Encoding.ASCII.GetBytes(encoded), destination, out int written));
        Assert.Equal(expectedHex, Convert.ToHexStringLower(destination.AsSpan(0, written)));
    }

    [Theory]
    [InlineData("AAECA")]     // 1 more than a multiple of 4
    [InlineData("AAECAw")]    // Incorrect padding
    [InlineData("AAECAw=")]   // Incorrect padding
    public void Lenient_base64_rejects_what_cpython_rejects(string encoded)
    {
        byte[] destination = new byte[PythonBase64.MaxDecodedLength(encoded.Length)];
        Assert.False(PythonBase64.TryDecode(Encoding.ASCII.GetBytes(encoded), destination, out _));
    }

    [Fact]
    public void Lenient_base64_agrees_with_the_strict_decoder_on_canonical_input()
    {
        var random = new Random(42);
        for (int i = 0; i < 2000; i++)
        {
            byte[] data = new byte[random.Next(0, 300)];
            random.NextBytes(data);
            byte[] encoded = Encoding.ASCII.GetBytes(Convert.ToBase64String(data));
            byte[] destination = new byte[PythonBase64.MaxDecodedLength(encoded.Length)];
            Assert.True(PythonBase64.TryDecode(encoded, destination, out int written));
            Assert.Equal(data, destination.AsSpan(0, written).ToArray());
        }
    }

    private static string Repr(byte[] value)
    {
        byte[] destination = new byte[PythonText.MaxBytesReprLength(value.Length)];
        int written = PythonText.WriteBytesRepr(value, destination);
        return Encoding.ASCII.GetString(destination, 0, written);
    }
}
