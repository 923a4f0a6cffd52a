using System.Buffers;
using System.Text.Json;

namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// Writes JSON-RPC 2.0 request objects and classifies incoming messages (JSON-RPC 2.0 §4 request, §5 response,
/// §6 batch; Substrate pub-sub notifications are requests without an id whose <c>params</c> carry
/// <c>subscription</c> and <c>result</c>).
/// </summary>
internal static class JsonRpcMessages
{
    public static void WriteRequest(Utf8JsonWriter w, long id, string method, RpcParams parameters)
    {
        w.WriteStartObject();
        w.WriteString("jsonrpc"u8, "2.0"u8);
        w.WriteNumber("id"u8, id);
        w.WriteString("method"u8, method);
        w.WritePropertyName("params"u8);
        w.WriteRawValue(parameters.Json.Span, skipInputValidation: true);
        w.WriteEndObject();
    }

    public static byte[] Request(long id, string method, RpcParams parameters)
    {
        var buffer = new ArrayBufferWriter<byte>(96 + parameters.Json.Length);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteRequest(w, id, method, parameters);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Batch(long firstId, IReadOnlyList<RpcRequest> requests)
    {
        var buffer = new ArrayBufferWriter<byte>(128 * requests.Count);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            for (int i = 0; i < requests.Count; i++)
            {
                WriteRequest(w, firstId + i, requests[i].Method, requests[i].Params);
            }
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The id of a response object, or null for a notification / malformed id.</summary>
    public static long? IdOf(JsonElement message) =>
        message.TryGetProperty("id"u8, out JsonElement id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long v)
            ? v
            : null;

    /// <summary>Turns a response object into its result or its error (JSON-RPC 2.0 §5, §5.1).</summary>
    public static RpcResult ToResult(string method, JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object)
        {
            throw new ChainDecodeException($"{method}: the JSON-RPC response is not an object");
        }
        if (response.TryGetProperty("error"u8, out JsonElement error) && error.ValueKind != JsonValueKind.Null)
        {
            int code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code"u8, out JsonElement c)
                && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int ci) ? ci : 0;
            string message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message"u8, out JsonElement m)
                && m.ValueKind == JsonValueKind.String ? m.GetString()! : error.GetRawText();
            string? data = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("data"u8, out JsonElement d)
                ? d.GetRawText() : null;
            return new RpcResult(default, new ChainRpcException(method, code, message, data));
        }
        if (!response.TryGetProperty("result"u8, out JsonElement result))
        {
            throw new ChainDecodeException($"{method}: the JSON-RPC response has neither result nor error");
        }
        return new RpcResult(result.Clone(), null);
    }

    /// <summary>If <paramref name="message"/> is a subscription notification, its subscription id and payload.</summary>
    public static bool TryGetNotification(JsonElement message, out string subscription, out JsonElement result)
    {
        subscription = "";
        result = default;
        if (!message.TryGetProperty("method"u8, out _) || !message.TryGetProperty("params"u8, out JsonElement p)
            || p.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (!p.TryGetProperty("subscription"u8, out JsonElement sub) || !p.TryGetProperty("result"u8, out JsonElement r))
        {
            return false;
        }
        subscription = SubscriptionId(sub) ?? "";
        result = r.Clone();
        return subscription.Length > 0;
    }

    /// <summary>Subscription ids are strings in Substrate (numbers in some older nodes); both are normalised to text.</summary>
    public static string? SubscriptionId(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => id.GetString(),
        JsonValueKind.Number => id.GetRawText(),
        _ => null,
    };
}
