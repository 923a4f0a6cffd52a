using System.CommandLine;
using System.Text;
using System.Text.Json;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Serialization;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh store --initial_peers A... --key KEY --value VALUE [--subkey S] --expiration SECONDS [--json] [--no_auth]</c>:
/// joins the DHT as a client and stores the string <c>VALUE</c> under the string <c>KEY</c> (or under subkey <c>S</c> of
/// the dictionary at <c>KEY</c>) for <c>SECONDS</c> from now. Prints <c>stored</c> (or a JSON object with
/// <c>--json</c>); exit 0 when a replica accepted it, 1 when every replica refused it or the DHT cannot be reached.
/// </summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        Option<string[]> initialPeers = CliOption.List("--initial-peers", "Multiaddrs with /p2p/ of DHT nodes to join through.");
        initialPeers.Required = true;
        Option<string> key = CliOption.Create<string>("--key", "The key (a string).");
        key.Required = true;
        Option<string> value = CliOption.Create<string>("--value", "The value (stored as a msgpack str).");
        value.Required = true;
        Option<string> subkey = CliOption.Create<string>("--subkey", "Store under this subkey (a str) of a dictionary value.");
        Option<double> expiration = CliOption.Create<double>("--expiration", "Seconds from now until the value expires.");
        expiration.Required = true;
        Option<bool> json = CliOption.Flag("--json", "Print the result as one JSON object.");
        Option<bool> noAuth = CliOption.Flag("--no-auth", "Do not sign RPCs (for DHTs run with --no_auth / mesh-dht).");
        Option<double> waitTimeout = CliOption.Create<double>("--wait-timeout", "Seconds to wait for an RPC reply.");
        waitTimeout.DefaultValueFactory = _ => 3;
        Option<bool> verbose = CliSupport.VerboseOption();
        var command = new Command("store", "Store a value in the mesh DHT.") { initialPeers, key, value, subkey, expiration, json, noAuth, waitTimeout, verbose };
        CliOption.SetAction(command, async (parse, ct) =>
        {
            double seconds = parse.GetValue(expiration);
            if (!(seconds > 0) || double.IsInfinity(seconds))
            {
                throw new CliUsageException("--expiration must be a positive number of seconds");
            }
            string keyText = parse.GetRequiredValue(key);
            string? subkeyText = parse.GetValue(subkey);
            await using DhtClient client = await DhtClient.JoinAsync(parse, parse.GetValue(initialPeers), parse.GetValue(noAuth), parse.GetValue(waitTimeout), parse.GetValue(verbose), ct);
            double expires = client.Node.Clock.Now + seconds;
            // excludeSelf: this short-lived client must not count its own storage as a replica (mesh would).
            var item = new DhtStoreItem(keyText, parse.GetRequiredValue(value), expires, subkeyText is null ? (MsgValue?)null : MsgValue.FromString(subkeyText));
            bool stored = (await client.Node.StoreManyAsync([item], excludeSelf: true, cancellationToken: ct))[0];
            TextWriter output = CliOption.Out(parse);
            if (parse.GetValue(json))
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writer.WriteString("key", keyText);
                    if (subkeyText is not null)
                    {
                        writer.WriteString("subkey", subkeyText);
                    }
                    writer.WriteBoolean("stored", stored);
                    writer.WriteNumber("expiration_time", expires);
                    writer.WriteEndObject();
                }
                output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
            }
            else if (stored)
            {
                output.WriteLine("stored");
            }
            if (!stored)
            {
                CliOption.Error(parse).WriteLine($"mesh store: no replica accepted '{keyText}' (a newer value is held, a validator refused it, or no node answered)");
                return CliExit.Failure;
            }
            return CliExit.Success;
        });
        return command;
    }
}
