using System.Text.Json;
using Mesh.TestKit;

namespace Mesh.Transport.Tests.Rpc;

/// <summary>Loads the golden vectors the RPC tests read (vectors/README.md: auth.json, unary_envelope.json).</summary>
internal static class RpcVectors
{
    public static JsonElement UnaryEnvelope() => Load("unary_envelope.json");

    public static JsonElement Auth() => Load("auth.json");

    public static JsonElement Load(string fileName) =>
        JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector(fileName))).RootElement;

    public static byte[] HexOf(JsonElement e, string property) => Hex.Decode(e.GetProperty(property).GetString()!);

    /// <summary>A tagged float from its IEEE-754 bits (exact).</summary>
    public static double Double(JsonElement e) =>
        BitConverter.Int64BitsToDouble(unchecked((long)Convert.ToUInt64(e.GetProperty("bits").GetString()!, 16)));

    /// <summary>
    /// Every framed p2pd message in unary_envelope.json with the message type the file names
    /// (PersistentConnectionRequest or PersistentConnectionResponse) and where it came from.
    /// </summary>
    public static IEnumerable<(string Where, string Type, byte[] Framed)> AllFrames()
    {
        JsonElement root = UnaryEnvelope();
        int i = 0;
        foreach (JsonElement c in root.GetProperty("client_call_cases").EnumerateArray())
        {
            yield return ($"client_call_cases[{i}].client_to_daemon", "PersistentConnectionRequest", HexOf(c.GetProperty("client_to_daemon"), "framed_hex"));
            yield return ($"client_call_cases[{i}].daemon_to_client", "PersistentConnectionResponse", HexOf(c.GetProperty("daemon_to_client"), "framed_hex"));
            i++;
        }
        i = 0;
        foreach (JsonElement r in root.GetProperty("server_registrations").EnumerateArray())
        {
            yield return ($"server_registrations[{i++}]", "PersistentConnectionRequest", HexOf(r, "framed_hex"));
        }
        i = 0;
        foreach (JsonElement h in root.GetProperty("server_handler_cases").EnumerateArray())
        {
            yield return ($"server_handler_cases[{i}].daemon_to_handler", "PersistentConnectionResponse", HexOf(h.GetProperty("daemon_to_handler"), "framed_hex"));
            yield return ($"server_handler_cases[{i}].handler_to_daemon", "PersistentConnectionRequest", HexOf(h.GetProperty("handler_to_daemon"), "framed_hex"));
            i++;
        }
        JsonElement exchange = root.GetProperty("dht_exchange");
        i = 0;
        foreach (JsonElement t in exchange.GetProperty("setup_transcript").EnumerateArray())
        {
            yield return ($"dht_exchange.setup_transcript[{i++}]", t.GetProperty("type").GetString()!, HexOf(t, "framed_hex"));
        }
        int s = 0;
        foreach (JsonElement step in exchange.GetProperty("steps").EnumerateArray())
        {
            i = 0;
            foreach (JsonElement t in step.GetProperty("transcript").EnumerateArray())
            {
                yield return ($"dht_exchange.steps[{s}].transcript[{i++}]", t.GetProperty("type").GetString()!, HexOf(t, "framed_hex"));
            }
            s++;
        }
    }
}
