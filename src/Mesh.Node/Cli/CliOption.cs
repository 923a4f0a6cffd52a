using System.CommandLine;

namespace Mesh.Node.Cli;

/// <summary>
/// Builds options the way every <c>mesh</c> verb spells them: a kebab-case name (<c>--identity-path</c>) with the
/// Python CLI's snake_case spelling (<c>--identity_path</c>) as an alias, so the seed README's command lines work
/// unchanged.
/// </summary>
internal static class CliOption
{
    public static Option<T> Create<T>(string name, string description, params string[] extraAliases)
    {
        var aliases = new List<string>(extraAliases);
        string snake = name.Replace('-', '_');
        if (snake.StartsWith("__", StringComparison.Ordinal))
        {
            snake = "--" + snake[2..];
        }
        if (snake != name)
        {
            aliases.Insert(0, snake);
        }
        return new Option<T>(name, [.. aliases]) { Description = description };
    }

    /// <summary>A flag (no value).</summary>
    public static Option<bool> Flag(string name, string description, params string[] extraAliases) =>
        Create<bool>(name, description, extraAliases);

    /// <summary>An option taking one or more values, which may follow one flag (<c>--host_maddrs A B</c>) as in the seed.</summary>
    public static Option<string[]> List(string name, string description, params string[] extraAliases)
    {
        Option<string[]> option = Create<string[]>(name, description, extraAliases);
        option.AllowMultipleArgumentsPerToken = true;
        option.Arity = ArgumentArity.OneOrMore;
        return option;
    }

    /// <summary>Wires the verb's action: <paramref name="run"/>'s typed failures become readable one-line errors.</summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await run(parse, cancellationToken);
            }
            catch (Exception ex) when (CliErrors.IsUserFacing(ex, cancellationToken))
            {
                return CliErrors.Report(Error(parse), command.Name, ex, cancellationToken);
            }
        });

    /// <summary>Where a verb writes its results (stdout unless a test redirected it).</summary>
    public static TextWriter Out(ParseResult parse) => parse.InvocationConfiguration?.Output ?? Console.Out;

    /// <summary>Where a verb writes diagnostics (stderr unless a test redirected it).</summary>
    public static TextWriter Error(ParseResult parse) => parse.InvocationConfiguration?.Error ?? Console.Error;
}
