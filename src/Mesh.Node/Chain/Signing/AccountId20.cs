using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// An Ethereum-style 20-byte account id (<c>fp_account::AccountId20</c>, H160): the last 20 bytes of
/// keccak256(uncompressed secp256k1 public key without its 0x04 prefix). Its text form is the EIP-55 mixed-case
/// checksummed hex; parsing accepts all-lower, all-upper or a correct checksum, and refuses a wrong checksum.
/// </summary>
public readonly struct AccountId20 : IEquatable<AccountId20>, IComparable<AccountId20>
{
    public const int Length = 20;

    private readonly byte[]? _bytes;

    public AccountId20(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"an AccountId20 is {Length} bytes, got {bytes.Length}", nameof(bytes));
        }
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Length];

    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Parses <c>0x</c> + 40 hex digits (EIP-55 checksum enforced when the case is mixed).</summary>
    public static AccountId20 Parse(string text) =>
        TryParse(text, out AccountId20 id) ? id : throw new FormatException($"'{text}' is not a valid 20-byte hex account id (or its EIP-55 checksum is wrong)");

    public static bool TryParse([NotNullWhen(true)] string? text, out AccountId20 id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }
        ReadOnlySpan<char> hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan();
        if (hex.Length != 40)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[Length];
        if (Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }
        var candidate = new AccountId20(bytes);
        bool hasLower = false, hasUpper = false;
        foreach (char c in hex)
        {
            hasLower |= c is >= 'a' and <= 'f';
            hasUpper |= c is >= 'A' and <= 'F';
        }
        if (hasLower && hasUpper && !candidate.ToString().AsSpan(2).SequenceEqual(hex))
        {
            return false;
        }
        id = candidate;
        return true;
    }

    /// <summary>EIP-55 checksummed text: a hex letter is upper case when the matching nibble of
    /// keccak256(lower-case hex) is ≥ 8.</summary>
    public override string ToString()
    {
        string lower = Convert.ToHexStringLower(Bytes);
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(Encoding.ASCII.GetBytes(lower), hash);
        var sb = new StringBuilder("0x", 42);
        for (int i = 0; i < lower.Length; i++)
        {
            int nibble = (i & 1) == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0xf;
            char c = lower[i];
            sb.Append(c is >= 'a' and <= 'f' && nibble >= 8 ? char.ToUpperInvariant(c) : c);
        }
        return sb.ToString();
    }

    public bool Equals(AccountId20 other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is AccountId20 other && Equals(other);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Bytes);
        return h.ToHashCode();
    }

    /// <summary>Byte-wise order: the order Rust's <c>Ord</c> gives <c>[u8; 20]</c> (BTreeMap/BTreeSet keys).</summary>
    public int CompareTo(AccountId20 other) => Bytes.SequenceCompareTo(other.Bytes);

    public static bool operator ==(AccountId20 left, AccountId20 right) => left.Equals(right);

    public static bool operator !=(AccountId20 left, AccountId20 right) => !left.Equals(right);
}
