using System.Security.Cryptography;
using System.Text;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// BIP39 mnemonics (English word list): checksum validation and the seed
/// PBKDF2-HMAC-SHA512(password = NFKD(mnemonic), salt = "mnemonic" ‖ NFKD(passphrase), 2048 iterations, 64 bytes).
/// </summary>
public static class Bip39
{
    private static readonly Lazy<(string[] Words, Dictionary<string, int> Index)> s_wordList = new(LoadWordList);

    /// <summary>The 2048 words of the BIP39 English list.</summary>
    public static IReadOnlyList<string> EnglishWords => s_wordList.Value.Words;

    /// <summary>Validates <paramref name="mnemonic"/> (12–24 known words, correct checksum) and derives its seed.</summary>
    /// <exception cref="ArgumentException">Unknown word, wrong word count or wrong checksum.</exception>
    public static byte[] MnemonicToSeed(string mnemonic, string passphrase = "")
    {
        string normalized = Normalize(mnemonic);
        Validate(normalized);
        byte[] password = Encoding.UTF8.GetBytes(normalized);
        byte[] salt = Encoding.UTF8.GetBytes("mnemonic" + NormalizeText(passphrase));
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(password, salt, 2048, HashAlgorithmName.SHA512, 64);
        }
        finally
        {
            Array.Clear(password);
        }
    }

    /// <summary>The entropy a valid mnemonic encodes; throws <see cref="ArgumentException"/> when it is invalid.</summary>
    public static byte[] MnemonicToEntropy(string mnemonic) => Validate(Normalize(mnemonic));

    /// <summary>The mnemonic of 16, 20, 24, 28 or 32 bytes of entropy.</summary>
    public static string EntropyToMnemonic(ReadOnlySpan<byte> entropy)
    {
        if (entropy.Length is < 16 or > 32 || entropy.Length % 4 != 0)
        {
            throw new ArgumentException("BIP39 entropy is 16, 20, 24, 28 or 32 bytes", nameof(entropy));
        }
        byte[] hash = SHA256.HashData(entropy);
        int totalBits = entropy.Length * 8 + entropy.Length / 4;
        var words = new string[totalBits / 11];
        for (int w = 0; w < words.Length; w++)
        {
            int index = 0;
            for (int b = 0; b < 11; b++)
            {
                int bit = w * 11 + b;
                int value = bit < entropy.Length * 8
                    ? (entropy[bit / 8] >> (7 - bit % 8)) & 1
                    : (hash[(bit - entropy.Length * 8) / 8] >> (7 - (bit - entropy.Length * 8) % 8)) & 1;
                index = (index << 1) | value;
            }
            words[w] = s_wordList.Value.Words[index];
        }
        return string.Join(' ', words);
    }

    private static byte[] Validate(string normalized)
    {
        string[] words = normalized.Split(' ');
        if (words.Length is not (12 or 15 or 18 or 21 or 24))
        {
            throw new ArgumentException($"a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, got {words.Length}");
        }
        Dictionary<string, int> index = s_wordList.Value.Index;
        int totalBits = words.Length * 11;
        int checksumBits = totalBits / 33;
        int entropyBits = totalBits - checksumBits;
        var bits = new bool[totalBits];
        for (int w = 0; w < words.Length; w++)
        {
            if (!index.TryGetValue(words[w], out int value))
            {
                throw new ArgumentException($"word {w + 1} of the mnemonic is not in the BIP39 English list");
            }
            for (int b = 0; b < 11; b++)
            {
                bits[w * 11 + b] = ((value >> (10 - b)) & 1) != 0;
            }
        }
        var entropy = new byte[entropyBits / 8];
        for (int i = 0; i < entropyBits; i++)
        {
            if (bits[i])
            {
                entropy[i / 8] |= (byte)(0x80 >> (i % 8));
            }
        }
        byte[] hash = SHA256.HashData(entropy);
        for (int i = 0; i < checksumBits; i++)
        {
            bool expected = ((hash[i / 8] >> (7 - i % 8)) & 1) != 0;
            if (bits[entropyBits + i] != expected)
            {
                throw new ArgumentException("the mnemonic's BIP39 checksum is wrong");
            }
        }
        return entropy;
    }

    /// <summary>Words separated by single spaces, NFKD.</summary>
    private static string Normalize(string mnemonic) =>
        string.Join(' ', NormalizeText(mnemonic).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string NormalizeText(string text)
    {
        foreach (char c in text)
        {
            if (c > 0x7f)
            {
                try
                {
                    return text.Normalize(NormalizationForm.FormKD);
                }
                catch (PlatformNotSupportedException ex)
                {
                    throw new ArgumentException("a non-ASCII mnemonic or passphrase needs Unicode normalisation, which this build does not have", ex);
                }
            }
        }
        return text; // ASCII is already NFKD
    }

    private static (string[] Words, Dictionary<string, int> Index) LoadWordList()
    {
        using Stream stream = typeof(Bip39).Assembly.GetManifestResourceStream("Mesh.Node.Chain.Signing.bip39-english.txt")
            ?? throw new InvalidOperationException("the BIP39 word list resource is missing from the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string[] words = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length != 2048)
        {
            throw new InvalidOperationException($"the BIP39 word list has {words.Length} words, not 2048");
        }
        var index = new Dictionary<string, int>(2048, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            index[words[i]] = i;
        }
        return (words, index);
    }
}
