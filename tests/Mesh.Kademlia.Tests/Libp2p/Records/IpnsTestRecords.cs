using System.Formats.Cbor;
using System.Text;
using Google.Protobuf;
using Mesh.Kademlia.Libp2p.Protos;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Records;

/// <summary>
/// IPNS records made here (IPNS record spec, "Record Creation"), to test the validator on shapes js does not produce.
/// The real js-signed records are in <see cref="IpnsRecordValidatorTests"/>.
/// </summary>
internal static class IpnsTestRecords
{
    public static byte[] Key(PeerId peer) => KadRecordKey.Create("ipns", peer.Bytes);

    public static byte[] Cbor(byte[] value, string validity, ulong validityType, ulong sequence, ulong ttl, bool canonical = true)
    {
        var w = new CborWriter(canonical ? CborConformanceMode.Canonical : CborConformanceMode.Lax);
        w.WriteStartMap(5);
        if (canonical)
        {
            // Length-first, then bytewise: TTL, Value, Sequence, Validity, ValidityType.
            w.WriteTextString("TTL"); w.WriteUInt64(ttl);
            w.WriteTextString("Value"); w.WriteByteString(value);
            w.WriteTextString("Sequence"); w.WriteUInt64(sequence);
            w.WriteTextString("Validity"); w.WriteByteString(Encoding.UTF8.GetBytes(validity));
            w.WriteTextString("ValidityType"); w.WriteUInt64(validityType);
        }
        else
        {
            w.WriteTextString("Value"); w.WriteByteString(value);
            w.WriteTextString("TTL"); w.WriteUInt64(ttl);
            w.WriteTextString("Sequence"); w.WriteUInt64(sequence);
            w.WriteTextString("Validity"); w.WriteByteString(Encoding.UTF8.GetBytes(validity));
            w.WriteTextString("ValidityType"); w.WriteUInt64(validityType);
        }
        w.WriteEndMap();
        return w.Encode();
    }

    public static byte[] Create(
        PrivateKey key,
        ulong sequence,
        DateTimeOffset validUntil,
        bool embedPublicKey = false,
        bool v1Fields = true,
        byte[]? data = null,
        Action<IpnsEntry>? tamper = null)
    {
        byte[] value = Encoding.UTF8.GetBytes("/ipfs/bafkqaaa");
        string validity = Rfc3339.Format(validUntil);
        data ??= Cbor(value, validity, 0, sequence, 3_600_000_000_000);
        byte[] signed = [.. "ipns-signature:"u8, .. data];
        byte[] signature = new byte[key.MaxSignatureLength];
        Assert.True(key.TrySign(signed, signature, out int written));
        var entry = new IpnsEntry { SignatureV2 = ByteString.CopyFrom(signature, 0, written), Data = ByteString.CopyFrom(data) };
        if (v1Fields)
        {
            entry.Value = ByteString.CopyFrom(value);
            entry.Validity = ByteString.CopyFromUtf8(validity);
            entry.ValidityType = IpnsEntry.Types.ValidityType.Eol;
            entry.Sequence = sequence;
            entry.Ttl = 3_600_000_000_000;
        }
        if (embedPublicKey)
        {
            entry.PubKey = ByteString.CopyFrom(key.PublicKey.ToProtobuf());
        }
        tamper?.Invoke(entry);
        return entry.ToByteArray();
    }
}
