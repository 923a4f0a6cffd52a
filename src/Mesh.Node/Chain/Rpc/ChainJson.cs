using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.Node.Chain.Rpc;

/// <summary><c>state_getRuntimeVersion</c> (the fields a client needs; apis are omitted).</summary>
public sealed record RuntimeVersion(
    [property: JsonPropertyName("specName")] string SpecName,
    [property: JsonPropertyName("implName")] string ImplName,
    [property: JsonPropertyName("specVersion")] uint SpecVersion,
    [property: JsonPropertyName("implVersion")] uint ImplVersion,
    [property: JsonPropertyName("transactionVersion")] uint TransactionVersion,
    [property: JsonPropertyName("authoringVersion")] uint AuthoringVersion);

/// <summary>A block header as <c>chain_getHeader</c> and head subscriptions return it (hex strings).</summary>
public sealed record HeaderJson(
    [property: JsonPropertyName("parentHash")] string ParentHash,
    [property: JsonPropertyName("number")] string Number,
    [property: JsonPropertyName("stateRoot")] string StateRoot,
    [property: JsonPropertyName("extrinsicsRoot")] string ExtrinsicsRoot);

/// <summary><c>system_health</c>.</summary>
public sealed record SystemHealth(
    [property: JsonPropertyName("peers")] int Peers,
    [property: JsonPropertyName("isSyncing")] bool IsSyncing,
    [property: JsonPropertyName("shouldHavePeers")] bool ShouldHavePeers);

/// <summary><c>chain_getBlock</c>: the header and the extrinsics as hex.</summary>
public sealed record SignedBlockJson([property: JsonPropertyName("block")] BlockJson Block);

public sealed record BlockJson(
    [property: JsonPropertyName("header")] HeaderJson Header,
    [property: JsonPropertyName("extrinsics")] string[] Extrinsics);

/// <summary>System.Text.Json source generation for the typed RPC results (no reflection; AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(RuntimeVersion))]
[JsonSerializable(typeof(HeaderJson))]
[JsonSerializable(typeof(SystemHealth))]
[JsonSerializable(typeof(SignedBlockJson))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ChainJsonContext : JsonSerializerContext
{
}

/// <summary>Typed views of JSON results; malformed shapes become <see cref="ChainDecodeException"/>.</summary>
public static class ChainJson
{
    public static T Deserialize<T>(JsonElement element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, string what)
    {
        try
        {
            return element.Deserialize(info) ?? throw new ChainDecodeException($"{what}: null result");
        }
        catch (JsonException ex)
        {
            throw new ChainDecodeException($"{what}: unexpected JSON shape: {ex.Message}", ex);
        }
    }

    public static RuntimeVersion RuntimeVersion(JsonElement e) => Deserialize(e, ChainJsonContext.Default.RuntimeVersion, "state_getRuntimeVersion");

    public static HeaderJson Header(JsonElement e) => Deserialize(e, ChainJsonContext.Default.HeaderJson, "header");

    public static SystemHealth Health(JsonElement e) => Deserialize(e, ChainJsonContext.Default.SystemHealth, "system_health");

    public static SignedBlockJson Block(JsonElement e) => Deserialize(e, ChainJsonContext.Default.SignedBlockJson, "chain_getBlock");

    /// <summary>A <c>0x</c>-hex string result as bytes.</summary>
    public static byte[] Bytes(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.String)
        {
            throw new ChainDecodeException($"{what}: expected a hex string, got {e.ValueKind}");
        }
        return HexBytes(e.GetString()!, what);
    }

    /// <summary>A hex string or null (missing storage).</summary>
    public static byte[]? OptionalBytes(JsonElement e, string what) => e.ValueKind == JsonValueKind.Null ? null : Bytes(e, what);

    public static byte[] HexBytes(string hex, string what)
    {
        ReadOnlySpan<char> digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex.AsSpan(2) : hex.AsSpan();
        if (digits.Length % 2 != 0)
        {
            throw new ChainDecodeException($"{what}: odd-length hex string");
        }
        var bytes = new byte[digits.Length / 2];
        if (Convert.FromHexString(digits, bytes, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            throw new ChainDecodeException($"{what}: invalid hex string");
        }
        return bytes;
    }

    /// <summary>A block number given as a (possibly zero-padded) hex string or as a JSON number.</summary>
    public static ulong Number(JsonElement e, string what)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out ulong n))
        {
            return n;
        }
        if (e.ValueKind == JsonValueKind.String)
        {
            return HexNumber(e.GetString()!, what);
        }
        throw new ChainDecodeException($"{what}: expected a number, got {e.ValueKind}");
    }

    public static ulong HexNumber(string text, string what)
    {
        ReadOnlySpan<char> digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan();
        if (digits.Length is 0 or > 16 || !ulong.TryParse(digits, System.Globalization.NumberStyles.AllowHexSpecifier,
                System.Globalization.CultureInfo.InvariantCulture, out ulong v))
        {
            throw new ChainDecodeException($"{what}: '{text}' is not a hex number");
        }
        return v;
    }
}
