using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;

namespace Mesh.Fuzz.Kademlia;

/// <summary>
/// The regex-free <c>[owner:…]</c> / <c>[signature:…]</c> marker parser, checked against a slow reference that
/// spells out Python's <c>\[prefix(.+?)\]</c> semantics byte by byte (try every start, lazily extend the content,
/// <c>.</c> never matching a newline, resume after each match), plus the strip and first-line rules.
/// The first input byte picks the marker. The input is also split into a record (key, subkey, value) for the full
/// <see cref="SignatureValidator"/>, once as given and once with a genuine owner marker in the subkey, which must
/// answer without throwing whatever the bytes.
/// </summary>
public sealed class RecordMarkersFuzzTarget : IFuzzTarget
{
    public string Name => "record-markers";

    private static readonly SignatureValidator s_validator = new(Ed25519PrivateKey.FromSeed(new byte[32]));

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        ReadOnlySpan<byte> prefix = (input[0] & 1) == 0 ? RecordMarkers.OwnerPrefix : RecordMarkers.SignaturePrefix;
        ReadOnlySpan<byte> data = input[1..];

        List<MarkerMatch> expected = Reference(data, prefix);
        int i = 0;
        foreach (MarkerMatch m in RecordMarkers.FindAll(data, prefix))
        {
            if (i >= expected.Count || expected[i] != m)
            {
                throw new InvalidOperationException($"match {i} differs from the reference");
            }
            i++;
        }
        if (i != expected.Count)
        {
            throw new InvalidOperationException("fewer matches than the reference");
        }

        var naive = new List<byte>();
        int copied = 0;
        foreach (MarkerMatch m in expected)
        {
            naive.AddRange(data[copied..m.Start].ToArray());
            copied = m.End;
        }
        naive.AddRange(data[copied..].ToArray());
        byte[] stripped = RecordMarkers.Strip(data.ToArray(), prefix).ToArray();
        if (!stripped.AsSpan().SequenceEqual(naive.ToArray()) || stripped.Length != RecordMarkers.GetStrippedLength(data, prefix))
        {
            throw new InvalidOperationException("strip differs from the reference");
        }

        // The whole validator over a record cut from the input: never an exception, never valid for a forged signature.
        int cut1 = data.Length / 3, cut2 = 2 * data.Length / 3;
        var record = new DhtRecord(data[..cut1].ToArray(), data[cut1..cut2].ToArray(), data[cut2..].ToArray(), 1_700_000_000.25);
        s_validator.Validate(record, DhtRecordRequestType.Post);
        var owned = new DhtRecord(record.Key, (byte[])[.. record.Subkey.Span, .. s_validator.LocalPublicKey.Span], record.Value, record.ExpirationTime);
        if (s_validator.Validate(owned, DhtRecordRequestType.Get) && RecordMarkers.Count(owned.Value.Span, RecordMarkers.SignaturePrefix) == 1
            && !s_validator.Validate(owned.WithValue(s_validator.SignValue(owned.WithValue(s_validator.StripValue(owned)))), DhtRecordRequestType.Get))
        {
            throw new InvalidOperationException("a record the validator accepts cannot be re-signed");
        }

        int newline = data.IndexOf((byte)'\n');
        ReadOnlySpan<byte> firstLine = newline < 0 ? data : data[..newline];
        bool withKey = Reference(firstLine, RecordMarkers.OwnerPrefix).Count > 0;
        if (withKey != RecordMarkers.StartsWithLineHoldingOwner(data))
        {
            throw new InvalidOperationException("first-line owner rule differs from the reference");
        }
    }

    /// <summary>Python re semantics of <c>\[prefix(.+?)\]</c>, spelled out without shortcuts.</summary>
    private static List<MarkerMatch> Reference(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix)
    {
        var matches = new List<MarkerMatch>();
        int pos = 0;
        while (pos <= data.Length)
        {
            bool matched = false;
            for (int s = pos; s + prefix.Length <= data.Length && !matched; s++)
            {
                if (!data.Slice(s, prefix.Length).SequenceEqual(prefix))
                {
                    continue;
                }
                int c = s + prefix.Length;
                for (int end = c; end < data.Length; end++)
                {
                    // .+? has consumed data[c..end]; every consumed byte must not be a newline.
                    if (data[end] == (byte)'\n')
                    {
                        break;
                    }
                    if (end + 1 < data.Length && data[end + 1] == (byte)']')
                    {
                        matches.Add(new MarkerMatch(s, end + 2 - s, c, end + 1 - c));
                        pos = end + 2;
                        matched = true;
                        break;
                    }
                }
            }
            if (!matched)
            {
                break;
            }
        }
        return matches;
    }
}
