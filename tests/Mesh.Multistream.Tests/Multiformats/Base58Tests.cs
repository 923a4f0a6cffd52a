using System.Buffers;
using System.Text;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class Base58Tests
{
    // draft-msporny-base58 test vectors plus peer ids from the libp2p peer-ids spec.
    public static TheoryData<string, string> Vectors() => new()
    {
        { "", "" },
        { "00", "1" },
        { "0000", "11" },
        { "000001", "112" },
        { "61", "2g" },
        { "626262", "a3gV" },
        { "636363", "aPEr" },
        { "73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2" },
        { "00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
        { "516b6fcd0f", "ABnLTmg" },
        { "bf4f89001e670274dd", "3SEo3LWLoPntC" },
        { "572e4794", "3EFU7m" },
        { "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
        { "10c8511e", "Rt5zm" },
        { "00000000000000000000", "1111111111" },
        { "ffffffffffffffffffff", "FPBt6CHo3fovdL" },
        // 'Hello World!' from the draft.
        { "48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U" },
        { "0000287fb4cd", "11233QC4" },
        // Ed25519 peer id from the peer-ids spec (identity multihash of the key protobuf).
        { "002408011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5", "12D3KooWJSYwr2kQAY4FycvzB1XieuRw9Sp6WGBYQcgKFTPGq6wN" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encodes_and_decodes_vectors(string hex, string text)
    {
        byte[] data = Hex.Decode(hex);
        Assert.Equal(text, Base58.Encode(data));
        Assert.Equal(data, Base58.Decode(text));

        Span<char> chars = stackalloc char[Base58.GetMaxEncodedLength(data.Length)];
        Assert.True(Base58.TryEncode(data, chars, out int charsWritten));
        Assert.Equal(text, new string(chars[..charsWritten]));

        Span<byte> bytes = stackalloc byte[Base58.GetMaxDecodedLength(text.Length)];
        Assert.Equal(OperationStatus.Done, Base58.TryDecode(text, bytes, out int bytesWritten));
        Assert.Equal(hex, Hex.Encode(bytes[..bytesWritten]));
    }

    [Fact]
    public void Matches_golden_base58_cases_from_the_python_reference()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector("peerid.json")));
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("base58_cases").EnumerateArray())
        {
            byte[] input = Hex.Decode(c.GetProperty("input_hex").GetString()!);
            string text = c.GetProperty("base58").GetString()!;
            Assert.Equal(text, Base58.Encode(input));
            Assert.Equal(c.GetProperty("decode_back_hex").GetString(), Hex.Encode(Base58.Decode(text)));
            count++;
        }
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            byte[] peerId = Hex.Decode(c.GetProperty("peer_id_hex").GetString()!);
            Assert.Equal(c.GetProperty("peer_id_base58").GetString(), Base58.Encode(peerId));
            count++;
        }
        Assert.True(count >= 10);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("O", 0)]
    [InlineData("I", 0)]
    [InlineData("l", 0)]
    [InlineData("12D3KooW+", 8)]
    [InlineData("abc def", 3)]
    [InlineData("11é", 2)]
    [InlineData("\0", 0)]
    public void Rejects_characters_outside_the_alphabet_with_their_position(string text, int index)
    {
        Assert.Equal(OperationStatus.InvalidData, Base58.TryDecode(text, new byte[64], out _));
        var ex = Assert.Throws<MultiformatException>(() => Base58.Decode(text));
        Assert.Equal(MultiformatError.InvalidCharacter, ex.Error);
        Assert.Contains($"index {index}", ex.Message);
        Assert.False(Base58.IsValid(text));
    }

    [Fact]
    public void Reports_short_destinations()
    {
        byte[] data = Hex.Decode("00eb15231dfceb60925886b67d065299925915aeb172c06647");
        string text = Base58.Encode(data);
        Assert.False(Base58.TryEncode(data, new char[text.Length - 1], out _));
        Assert.True(Base58.TryEncode(data, new char[text.Length], out _));
        Assert.Equal(OperationStatus.DestinationTooSmall, Base58.TryDecode(text, new byte[data.Length - 1], out _));
        Assert.Equal(OperationStatus.Done, Base58.TryDecode(text, new byte[data.Length], out _));
    }

    [Fact]
    public void Round_trips_random_bytes_including_long_values_on_the_pooled_path()
    {
        Gen<byte[]> withLeadingZeros = Gen.Select(Gen.Int[0, 4], Gen.Byte.Array[0, 80], (z, rest) => (byte[])[.. new byte[z], .. rest]);
        Gen<byte[]> data = Gen.Frequency((8, withLeadingZeros), (1, Gen.Byte.Array[200, 400]));
        Property.ForAll(data, bytes =>
        {
            string text = Base58.Encode(bytes);
            Assert.True(text.Length <= Base58.GetMaxEncodedLength(bytes.Length));
            Assert.Equal(bytes, Base58.Decode(text));
            Assert.Equal(bytes.TakeWhile(b => b == 0).Count(), text.TakeWhile(c => c == '1').Count());
        }, iterations: 5_000);
    }

    [Fact]
    public void Every_alphabet_string_decodes_and_re_encodes_to_itself()
    {
        // Base58 has one text form per byte string, so decode → encode is the identity on valid text.
        Gen<string> text = Gen.Char[Base58.Alphabet].Array[0, 60].Select(chars => new string(chars));
        Property.ForAll(text, s => Assert.Equal(s, Base58.Encode(Base58.Decode(s))), iterations: 5_000);
    }

    [Fact]
    public void Encoding_a_big_value_matches_a_reference_bigint_conversion()
    {
        Property.ForAll(Gen.Byte.Array[1, 64], bytes =>
        {
            Assert.Equal(ReferenceEncode(bytes), Base58.Encode(bytes));
        }, iterations: 2_000);
    }

    // Textbook conversion over BigInteger: the independent oracle for the limb arithmetic.
    private static string ReferenceEncode(byte[] bytes)
    {
        var n = new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var sb = new StringBuilder();
        while (n > 0)
        {
            sb.Insert(0, Base58.Alphabet[(int)(n % 58)]);
            n /= 58;
        }
        foreach (byte b in bytes)
        {
            if (b != 0)
            {
                break;
            }
            sb.Insert(0, '1');
        }
        return sb.ToString();
    }
}
