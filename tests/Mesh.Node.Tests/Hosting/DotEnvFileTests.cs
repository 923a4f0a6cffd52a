using Mesh.Node.Hosting;

namespace Mesh.Node.Tests.Hosting;

public sealed class DotEnvFileTests
{
    [Fact]
    public void Parses_the_python_dotenv_forms()
    {
        const string text = """
            # Hypertensor endpoints
            LOCAL_RPC=ws://127.0.0.1:9944
            export DEV_RPC = wss://dev.example:443   # trailing comment
            PHRASE="bottom drive obey lake curtain smoke basket hold race lonely fit walk"
            SINGLE='literal $HOME \n'
            ESCAPED="a\tb\nc \"q\""
            MULTI="line one
            line two"
            EMPTY=
            PUBLIC_INITIAL_PEERS=/ip4/1.2.3.4/tcp/31330/p2p/QmSjcNmhbRvek3YDQAAQ3rV8GKR8WByfW8LC4aMxk6gj7v
            """;
        IReadOnlyDictionary<string, string> v = DotEnvFile.Parse(text.Replace("\n", "\r\n"));
        Assert.Equal("ws://127.0.0.1:9944", v["LOCAL_RPC"]);
        Assert.Equal("wss://dev.example:443", v["DEV_RPC"]);
        Assert.Equal("bottom drive obey lake curtain smoke basket hold race lonely fit walk", v["PHRASE"]);
        Assert.Equal("literal $HOME \\n", v["SINGLE"]);
        Assert.Equal("a\tb\nc \"q\"", v["ESCAPED"]);
        Assert.Equal("line one\nline two", v["MULTI"]);
        Assert.Equal("", v["EMPTY"]);
        Assert.Equal("/ip4/1.2.3.4/tcp/31330/p2p/QmSjcNmhbRvek3YDQAAQ3rV8GKR8WByfW8LC4aMxk6gj7v", v["PUBLIC_INITIAL_PEERS"]);
    }

    [Theory]
    [InlineData("JUSTAWORD", 1, "expected KEY=VALUE")]
    [InlineData("A=1\n=2", 2, "expected KEY=VALUE")]
    [InlineData("A=1\n\n9X=2", 3, "is not a valid variable name")]
    [InlineData("A=\"open", 1, "is not closed")]
    [InlineData("A='x' y", 1, "unexpected text after the closing quote")]
    public void Malformed_lines_name_the_file_and_line(string text, int line, string reason)
    {
        DotEnvFormatException ex = Assert.Throws<DotEnvFormatException>(() => DotEnvFile.Parse(text, "/x/.env"));
        Assert.Equal(line, ex.Line);
        Assert.StartsWith($"/x/.env:{line}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_wins_over_the_file_and_empty_means_unset()
    {
        var env = new Dictionary<string, string?> { ["DEV_RPC"] = "ws://env:1", ["LOCAL_RPC"] = "" };
        var settings = new EnvironmentSettings(
            DotEnvFile.Parse("DEV_RPC=ws://file:1\nLOCAL_RPC=ws://file:2\nPHRASE=\n"), "/x/.env", name => env.GetValueOrDefault(name));
        Assert.Equal("ws://env:1", settings.Get("DEV_RPC"));
        Assert.Equal("ws://file:2", settings.Get("LOCAL_RPC"));
        Assert.Null(settings.Get("PHRASE"));
        Assert.Null(settings.Get("LIVE_RPC"));
    }

    [Fact]
    public void An_explicit_env_file_that_does_not_exist_is_an_error_the_default_one_is_optional()
    {
        string missing = Path.Combine(Path.GetTempPath(), "mesh-no-such-" + Guid.NewGuid().ToString("N"), ".env");
        Assert.Throws<FileNotFoundException>(() => EnvironmentSettings.Load(missing));
        Assert.Null(DotEnvFile.TryLoad(missing));
    }
}
