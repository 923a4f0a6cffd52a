using System.Globalization;
using System.Text;

namespace Mesh.Transport.Rpc;

/// <summary>
/// The error texts that cross the wire in unary <c>error</c> replies, formatted the way the Python mesh servicer
/// formats them, so a caller (Python or MeshCore) observes the same bytes from a MeshCore servicer as from a Python one.
/// </summary>
public static class RpcWireErrors
{
    /// <summary>
    /// What a Python servicer answers when its <c>AuthRPCWrapper</c> rejects a request: the wrapper returns <c>None</c>
    /// and <c>P2P._unary_handler</c> calls <c>None.SerializeToString()</c>. MeshCore servicers send the same bytes by
    /// default: interoperating callers only see "an error", and the
    /// text deliberately says nothing about why (signature, clock, replay), as Python's does not.
    /// </summary>
    public const string RequestRejected = "AttributeError(\"'NoneType' object has no attribute 'SerializeToString'\")";

    /// <summary>What a Python servicer answers when the request's access token carries a key it cannot load.</summary>
    public const string UnsupportedPublicKey = "ValueError('Unsupported public key type')";

    /// <summary>The reply that replaces a response over the message size limit (the Go/Python text).</summary>
    public const string ResponseTooLarge = "response size exceeds message size limit";

    /// <summary>
    /// What a Python servicer (protobuf C++ backend) answers when the request bytes do not parse as the handler's
    /// request type, e.g. <c>DecodeError("Error parsing message with type 'FindRequest'")</c>.
    /// </summary>
    public static string DecodeError(string messageFullName) =>
        "DecodeError(\"Error parsing message with type '" + messageFullName + "'\")";

    /// <summary>
    /// The default text for a handler exception: Python's <c>repr(exception)</c> shape, the exception type's name and
    /// its message as a Python string literal, e.g. <c>InvalidOperationException('no such key')</c>.
    /// </summary>
    public static string FormatException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string message = exception.Message;
        return message.Length == 0 ? exception.GetType().Name + "()" : exception.GetType().Name + "(" + PythonStringRepr(message) + ")";
    }

    /// <summary>
    /// Python's <c>repr(str)</c>: single quotes unless the text contains a single quote and no double quote, with
    /// backslash, the quote, <c>\t \n \r</c> and non-printable characters escaped.
    /// </summary>
    public static string PythonStringRepr(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        char quote = value.Contains('\'') && !value.Contains('"') ? '"' : '\'';
        var builder = new StringBuilder(value.Length + 2);
        builder.Append(quote);
        foreach (Rune rune in value.EnumerateRunes())
        {
            int c = rune.Value;
            if (c == quote || c == '\\')
            {
                builder.Append('\\').Append((char)c);
            }
            else if (c == '\t')
            {
                builder.Append("\\t");
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else if (c == '\r')
            {
                builder.Append("\\r");
            }
            else if (c < 0x20 || c == 0x7F)
            {
                builder.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (c < 0x7F || IsPrintable(rune))
            {
                builder.Append(rune.ToString());
            }
            else if (c <= 0xFF)
            {
                builder.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (c <= 0xFFFF)
            {
                builder.Append("\\u").Append(c.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append("\\U").Append(c.ToString("x8", CultureInfo.InvariantCulture));
            }
        }
        return builder.Append(quote).ToString();
    }

    // Python's str.isprintable: not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (except the ASCII space).
    private static bool IsPrintable(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
