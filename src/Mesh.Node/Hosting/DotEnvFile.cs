using System.Text;
using Mesh.Multistream;

namespace Mesh.Node.Hosting;

/// <summary>A <c>.env</c> line that cannot be parsed.</summary>
public sealed class DotEnvFormatException(string path, int line, string reason)
    : MeshProtocolException($"{path}:{line}: {reason}")
{
    public string Path { get; } = path;

    public int Line { get; } = line;
}

/// <summary>
/// The <c>.env</c> files the Python mesh reads with python-dotenv (<c>PHRASE</c>, <c>LOCAL_RPC</c>, <c>DEV_RPC</c>,
/// <c>LIVE_RPC</c>, <c>PUBLIC_INITIAL_PEERS</c>): one <c>KEY=VALUE</c> per line, optional <c>export </c> prefix,
/// blank lines and <c>#</c> comments, values unquoted (a <c> #</c> starts a trailing comment, surrounding blanks are
/// trimmed), single-quoted (literal) or double-quoted (with <c>\n \t \" \\</c> escapes; may span lines). A line
/// that is none of these is an error naming the file and line, not something silently skipped.
/// </summary>
public static class DotEnvFile
{
    /// <summary>Files larger than this are not configuration files.</summary>
    public const int MaxFileLength = 1024 * 1024;

    /// <summary>Parses <paramref name="path"/>; null when the file does not exist.</summary>
    public static IReadOnlyDictionary<string, string>? TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var info = new FileInfo(path);
        if (info.Length > MaxFileLength)
        {
            throw new DotEnvFormatException(path, 0, $"{info.Length} bytes is too large for a .env file");
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static IReadOnlyDictionary<string, string> Parse(string text, string path = ".env")
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        int lineNumber = 0;
        int position = 0;
        while (position < text.Length)
        {
            lineNumber++;
            int end = text.IndexOf('\n', position);
            if (end < 0)
            {
                end = text.Length;
            }
            string line = text[position..end].TrimEnd('\r');
            int lineStart = lineNumber;
            position = end + 1;
            string trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }
            if (trimmed.StartsWith("export ", StringComparison.Ordinal))
            {
                trimmed = trimmed["export ".Length..].TrimStart();
            }
            int eq = trimmed.IndexOf('=');
            if (eq <= 0)
            {
                throw new DotEnvFormatException(path, lineStart, "expected KEY=VALUE");
            }
            string key = trimmed[..eq].TrimEnd();
            if (!IsValidKey(key))
            {
                throw new DotEnvFormatException(path, lineStart, $"'{key}' is not a valid variable name");
            }
            string rest = trimmed[(eq + 1)..].TrimStart();
            string value;
            if (rest.Length > 0 && (rest[0] == '"' || rest[0] == '\''))
            {
                char quote = rest[0];
                // A quoted value may continue on the following lines until its closing quote.
                string body = rest[1..];
                var sb = new StringBuilder();
                while (true)
                {
                    int close = FindClosingQuote(body, quote);
                    if (close >= 0)
                    {
                        sb.Append(quote == '"' ? Unescape(body[..close]) : body[..close]);
                        string after = body[(close + 1)..].Trim();
                        if (after.Length > 0 && after[0] != '#')
                        {
                            throw new DotEnvFormatException(path, lineStart, $"unexpected text after the closing quote of {key}");
                        }
                        break;
                    }
                    if (position >= text.Length)
                    {
                        throw new DotEnvFormatException(path, lineStart, $"the quoted value of {key} is not closed");
                    }
                    sb.Append(quote == '"' ? Unescape(body) : body).Append('\n');
                    lineNumber++;
                    end = text.IndexOf('\n', position);
                    if (end < 0)
                    {
                        end = text.Length;
                    }
                    body = text[position..end].TrimEnd('\r');
                    position = end + 1;
                }
                value = sb.ToString();
            }
            else
            {
                int comment = rest.IndexOf(" #", StringComparison.Ordinal);
                value = (comment >= 0 ? rest[..comment] : rest).Trim();
            }
            values[key] = value;
        }
        return values;
    }

    private static bool IsValidKey(string key)
    {
        if (key.Length == 0 || char.IsAsciiDigit(key[0]))
        {
            return false;
        }
        foreach (char c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-')
            {
                return false;
            }
        }
        return true;
    }

    private static int FindClosingQuote(string s, char quote)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (quote == '"' && s[i] == '\\')
            {
                i++;
                continue;
            }
            if (s[i] == quote)
            {
                return i;
            }
        }
        return -1;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
        {
            return s;
        }
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
                sb.Append(s[i] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    _ => s[i],
                });
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }
}

/// <summary>
/// Configuration values from the process environment and a <c>.env</c> file, the environment winning (python-dotenv's
/// default: a <c>.env</c> never overrides a variable that is already set).
/// </summary>
public sealed class EnvironmentSettings
{
    private readonly IReadOnlyDictionary<string, string> _file;
    private readonly Func<string, string?> _environment;

    public EnvironmentSettings(IReadOnlyDictionary<string, string>? file = null, string? filePath = null, Func<string, string?>? environment = null)
    {
        _file = file ?? new Dictionary<string, string>();
        FilePath = filePath;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>The <c>.env</c> file that was read, or null when there was none.</summary>
    public string? FilePath { get; }

    /// <summary>Loads <paramref name="path"/> (default: <c>.env</c> in the working directory) if it exists.</summary>
    public static EnvironmentSettings Load(string? path = null)
    {
        bool explicitPath = path is not null;
        path ??= Path.Combine(Environment.CurrentDirectory, ".env");
        IReadOnlyDictionary<string, string>? file = DotEnvFile.TryLoad(path);
        if (file is null && explicitPath)
        {
            throw new FileNotFoundException($"the .env file '{path}' does not exist", path);
        }
        return new EnvironmentSettings(file, file is null ? null : path);
    }

    /// <summary>The variable's value (environment first, then the file), or null when unset or empty.</summary>
    public string? Get(string name)
    {
        string? value = _environment(name);
        if (string.IsNullOrEmpty(value) && _file.TryGetValue(name, out string? fromFile))
        {
            value = fromFile;
        }
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
