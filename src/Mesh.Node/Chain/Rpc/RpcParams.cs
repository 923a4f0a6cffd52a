using System.Buffers;
using System.Text.Json;

namespace Mesh.Node.Chain.Rpc;

/// <summary>A JSON object parameter (e.g. <c>{"count": 20}</c> for <c>dev_newBlock</c>).</summary>
public sealed class RpcObject
{
    private readonly List<(string Name, object? Value)> _members = [];

    public RpcObject Add(string name, object? value)
    {
        _members.Add((name, value));
        return this;
    }

    internal IReadOnlyList<(string Name, object? Value)> Members => _members;
}

/// <summary>
/// The positional <c>params</c> array of a JSON-RPC request, serialised once when built (no reflection: every
/// supported value kind is written explicitly, so this is AOT-safe). Byte arrays become <c>0x</c>-hex strings, the
/// convention of every Substrate RPC.
/// </summary>
public readonly struct RpcParams
{
    private static readonly byte[] s_empty = "[]"u8.ToArray();

    private readonly byte[]? _json;

    private RpcParams(byte[] json) => _json = json;

    public static RpcParams None => new(s_empty);

    /// <summary>The UTF-8 JSON array.</summary>
    public ReadOnlyMemory<byte> Json => _json ?? s_empty;

    public static RpcParams Of(params object?[] values)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (object? v in values)
            {
                WriteValue(writer, v);
            }
            writer.WriteEndArray();
        }
        return new RpcParams(buffer.WrittenSpan.ToArray());
    }

    internal static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case uint u:
                w.WriteNumberValue(u);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case ulong ul:
                w.WriteNumberValue(ul);
                break;
            case byte[] bytes:
                w.WriteStringValue("0x" + Convert.ToHexStringLower(bytes));
                break;
            case ReadOnlyMemory<byte> memory:
                w.WriteStringValue("0x" + Convert.ToHexStringLower(memory.Span));
                break;
            case JsonElement element:
                element.WriteTo(w);
                break;
            case RpcObject obj:
                w.WriteStartObject();
                foreach ((string name, object? v) in obj.Members)
                {
                    w.WritePropertyName(name);
                    WriteValue(w, v);
                }
                w.WriteEndObject();
                break;
            case IEnumerable<string> strings:
                w.WriteStartArray();
                foreach (string s in strings)
                {
                    w.WriteStringValue(s);
                }
                w.WriteEndArray();
                break;
            case IEnumerable<byte[]> list:
                w.WriteStartArray();
                foreach (byte[] item in list)
                {
                    w.WriteStringValue("0x" + Convert.ToHexStringLower(item));
                }
                w.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"RPC parameter of type {value.GetType().Name} is not supported");
        }
    }
}

/// <summary>One request of a batch.</summary>
public readonly record struct RpcRequest(string Method, RpcParams Params);

/// <summary>One answer of a batch: a result, or the error the node returned for that request.</summary>
public readonly record struct RpcResult(JsonElement Result, ChainRpcException? Error)
{
    public bool IsError => Error is not null;

    public JsonElement GetResultOrThrow() => Error is null ? Result : throw Error;
}
