using System.Globalization;
using System.Numerics;

namespace Mesh.Node.Chain.Hypertensor;

/// <summary>
/// TENSOR amounts: the chain counts in wei (10^-18 TENSOR, <c>tokenDecimals</c> 18), people in tokens. Parsing is
/// exact decimal text (<c>100</c>, <c>100.00</c>, <c>0.125</c>), never a binary float, so <c>0.1</c> is exactly
/// 10^17 wei; more than 18 decimals, signs, exponents or values past u128 are refused.
/// </summary>
public static class Tensor
{
    public const int Decimals = 18;

    /// <summary>1 TENSOR in wei (also the chain's 1.0 in 1e18 fixed point: scores, percentages).</summary>
    public static readonly UInt128 One = UInt128.Parse("1000000000000000000", CultureInfo.InvariantCulture);

    /// <summary>Parses a token amount into wei.</summary>
    /// <exception cref="FormatException">Not a plain non-negative decimal with at most 18 fractional digits.</exception>
    public static UInt128 Parse(string text)
    {
        if (!TryParse(text, out UInt128 wei, out string? reason))
        {
            throw new FormatException($"'{text}' is not a TENSOR amount: {reason}");
        }
        return wei;
    }

    public static bool TryParse(string? text, out UInt128 wei, out string? reason)
    {
        wei = UInt128.Zero;
        reason = null;
        string s = text?.Trim() ?? "";
        if (s.Length == 0)
        {
            reason = "it is empty";
            return false;
        }
        int dot = s.IndexOf('.');
        string whole = dot < 0 ? s : s[..dot];
        string fraction = dot < 0 ? "" : s[(dot + 1)..];
        if ((whole.Length == 0 && fraction.Length == 0) || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            reason = "use digits with an optional decimal point, e.g. 100 or 0.125";
            return false;
        }
        if (fraction.Length > Decimals)
        {
            reason = $"more than {Decimals} decimals";
            return false;
        }
        BigInteger value = BigInteger.Parse(whole.Length == 0 ? "0" : whole, CultureInfo.InvariantCulture) * BigInteger.Pow(10, Decimals)
            + (fraction.Length == 0 ? BigInteger.Zero : BigInteger.Parse(fraction.PadRight(Decimals, '0'), CultureInfo.InvariantCulture));
        if (value > (BigInteger)UInt128.MaxValue)
        {
            reason = "it is too large";
            return false;
        }
        wei = (UInt128)value;
        return true;
    }

    /// <summary>Wei as tokens, with as many decimals as needed (<c>100</c>, <c>0.125</c>).</summary>
    public static string Format(UInt128 wei)
    {
        UInt128 whole = wei / One;
        UInt128 fraction = wei % One;
        if (fraction == UInt128.Zero)
        {
            return whole.ToString(CultureInfo.InvariantCulture);
        }
        string digits = fraction.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
        return whole.ToString(CultureInfo.InvariantCulture) + "." + digits;
    }
}
