using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Mesh.Node.Tests.Chain.Rpc;

/// <summary>What the fake server does with one request.</summary>
public abstract record FakeReply
{
    /// <summary>Answer with <c>result</c> = this raw JSON.</summary>
    public sealed record Result(string Json) : FakeReply;

    /// <summary>Answer with a JSON-RPC error object.</summary>
    public sealed record Error(int Code, string Message) : FakeReply;

    /// <summary>Send this text as the whole frame/body instead of a response.</summary>
    public sealed record Raw(string Text) : FakeReply;

    /// <summary>Never answer.</summary>
    public sealed record Stall : FakeReply;

    /// <summary>Drop the connection without answering.</summary>
    public sealed record Disconnect : FakeReply;

    /// <summary>HTTP only: answer with this status and body.</summary>
    public sealed record Status(int Code, string Body) : FakeReply;
}

/// <summary>
/// An in-process JSON-RPC 2.0 server on 127.0.0.1 that speaks WebSocket (RFC 6455 handshake by hand, then
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>) and HTTP POST on the same port, and
/// misbehaves on demand: stalls, disconnects, garbage, oversized frames. Every loop is bounded by the server's
/// lifetime; <see cref="DisposeAsync"/> stops it.
/// </summary>
public sealed class FakeJsonRpcServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, JsonElement, int, FakeReply> _behavior;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly List<WebSocket> _sockets = [];
    private readonly Task _accept;
    private int _connections;

    public FakeJsonRpcServer(Func<string, JsonElement, int, FakeReply> behavior)
    {
        _behavior = behavior;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}");

    public Uri HttpUri => new($"http://127.0.0.1:{Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Requests seen so far (method names, in order).</summary>
    public List<string> Methods { get; } = [];

    /// <summary>Sends a notification to every open WebSocket.</summary>
    public async Task NotifyAsync(string method, string subscription, string resultJson)
    {
        string text = $"{{\"jsonrpc\":\"2.0\",\"method\":\"{method}\",\"params\":{{\"subscription\":\"{subscription}\",\"result\":{resultJson}}}}}";
        WebSocket[] sockets;
        lock (_sockets)
        {
            sockets = [.. _sockets.Where(s => s.State == WebSocketState.Open)];
        }
        foreach (WebSocket s in sockets)
        {
            try
            {
                await s.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, _stop.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Drops every open WebSocket.</summary>
    public void DropAll()
    {
        lock (_sockets)
        {
            foreach (WebSocket s in _sockets)
            {
                s.Abort();
            }
            _sockets.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            int index = Interlocked.Increment(ref _connections) - 1;
            lock (_tasks)
            {
                _tasks.Add(ServeAsync(client, index));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, int index)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                (string head, byte[] leftover) = await ReadHeadAsync(stream);
                if (head.Contains("Upgrade: websocket", StringComparison.OrdinalIgnoreCase))
                {
                    await ServeWebSocketAsync(stream, head, index);
                }
                else
                {
                    await ServeHttpAsync(stream, head, leftover, index);
                }
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }
    }

    private static async Task<(string Head, byte[] Leftover)> ReadHeadAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[4096];
        while (true)
        {
            int n = await stream.ReadAsync(one);
            if (n == 0)
            {
                throw new IOException("closed before the request head");
            }
            buffer.AddRange(one.AsSpan(0, n));
            byte[] all = [.. buffer];
            int end = all.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(all, 0, end), all[(end + 4)..]);
            }
            if (buffer.Count > 64 * 1024)
            {
                throw new IOException("request head too long");
            }
        }
    }

    private async Task ServeWebSocketAsync(NetworkStream stream, string head, int index)
    {
        string key = head.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
        using WebSocket ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        lock (_sockets)
        {
            _sockets.Add(ws);
        }
        var buffer = new byte[1 << 20];
        while (!_stop.IsCancellationRequested && ws.State == WebSocketState.Open)
        {
            int count = 0;
            ValueWebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer.AsMemory(count), _stop.Token);
                count += r.Count;
            }
            while (!r.EndOfMessage);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            using JsonDocument doc = JsonDocument.Parse(buffer.AsMemory(0, count));
            IEnumerable<JsonElement> requests = doc.RootElement.ValueKind == JsonValueKind.Array
                ? doc.RootElement.EnumerateArray().ToArray()
                : [doc.RootElement];
            var answers = new List<string>();
            foreach (JsonElement req in requests)
            {
                FakeReply reply = Decide(req, index);
                switch (reply)
                {
                    case FakeReply.Stall:
                        continue;
                    case FakeReply.Disconnect:
                        ws.Abort();
                        return;
                    case FakeReply.Raw raw:
                        await ws.SendAsync(Encoding.UTF8.GetBytes(raw.Text), WebSocketMessageType.Text, true, _stop.Token);
                        continue;
                    default:
                        answers.Add(Render(req, reply));
                        break;
                }
            }
            if (answers.Count == 0)
            {
                continue;
            }
            string text = doc.RootElement.ValueKind == JsonValueKind.Array ? "[" + string.Join(',', answers) + "]" : answers[0];
            await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, _stop.Token);
        }
    }

    private async Task ServeHttpAsync(NetworkStream stream, string head, byte[] leftover, int index)
    {
        string? lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        int length = lengthLine is null ? 0 : int.Parse(lengthLine[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        byte[] body = new byte[length];
        leftover.AsSpan(0, Math.Min(leftover.Length, length)).CopyTo(body);
        int read = Math.Min(leftover.Length, length);
        while (read < length)
        {
            int n = await stream.ReadAsync(body.AsMemory(read));
            if (n == 0)
            {
                return;
            }
            read += n;
        }
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement[] requests = doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray()] : [doc.RootElement];
        var answers = new List<string>();
        int status = 200;
        string? rawBody = null;
        foreach (JsonElement req in requests)
        {
            FakeReply reply = Decide(req, index);
            switch (reply)
            {
                case FakeReply.Stall:
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                case FakeReply.Disconnect:
                    return;
                case FakeReply.Raw raw:
                    rawBody = raw.Text;
                    break;
                case FakeReply.Status s:
                    status = s.Code;
                    rawBody = s.Body;
                    break;
                default:
                    answers.Add(Render(req, reply));
                    break;
            }
        }
        string text = rawBody ?? (doc.RootElement.ValueKind == JsonValueKind.Array ? "[" + string.Join(',', answers) + "]" : answers[0]);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(bytes);
    }

    private FakeReply Decide(JsonElement request, int connection)
    {
        string method = request.GetProperty("method").GetString()!;
        lock (Methods)
        {
            Methods.Add(method);
        }
        JsonElement p = request.TryGetProperty("params", out JsonElement x) ? x : default;
        return _behavior(method, p, connection);
    }

    private static string Render(JsonElement request, FakeReply reply)
    {
        string id = request.GetProperty("id").GetRawText();
        return reply switch
        {
            FakeReply.Result r => $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{r.Json}}}",
            FakeReply.Error e => $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":{e.Code},\"message\":{JsonSerializer.Serialize(e.Message, FakeJson.Default.String)}}}}}",
            _ => throw new InvalidOperationException(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
        await _accept;
        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FakeJson : System.Text.Json.Serialization.JsonSerializerContext
{
}
