using System.Text;
using CsCheck;

namespace Mesh.Multistream.Tests;

public sealed class MultiaddrPropertyTests
{
    private static readonly MultiaddrProtocol[] s_noValue =
    [
        MultiaddrProtocol.Tls, MultiaddrProtocol.Noise, MultiaddrProtocol.Quic, MultiaddrProtocol.QuicV1, MultiaddrProtocol.Ws,
        MultiaddrProtocol.Wss, MultiaddrProtocol.WebTransport, MultiaddrProtocol.P2pCircuit, MultiaddrProtocol.WebRtcDirect,
        MultiaddrProtocol.WebRtc, MultiaddrProtocol.Http, MultiaddrProtocol.Https, MultiaddrProtocol.Udt, MultiaddrProtocol.Utp,
    ];

    private static readonly MultiaddrProtocol[] s_ports = [MultiaddrProtocol.Tcp, MultiaddrProtocol.Udp, MultiaddrProtocol.Sctp, MultiaddrProtocol.Dccp];
    private static readonly MultiaddrProtocol[] s_names = [MultiaddrProtocol.Dns, MultiaddrProtocol.Dns4, MultiaddrProtocol.Dns6, MultiaddrProtocol.DnsAddr, MultiaddrProtocol.Sni];

    internal static readonly Gen<byte[]> Multihashes = Gen.OneOf(
        Gen.Byte.Array[0, 42].Select(d => Multihash.CreateIdentity(d)),
        Gen.Byte.Array[32].Select(d => Multihash.Create(Multihash.Sha2_256Code, d)),
        Gen.Select(Gen.ULong[0x100, 0x3FFF], Gen.Byte.Array[0, 64], (code, d) => Multihash.Create(code, d)));

    private static readonly Gen<string> Names =
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789.-_%éü日本"].Array[1, 40].Select(c => new string(c));

    /// <summary>One random valid binary component (code, optional length, value).</summary>
    internal static readonly Gen<byte[]> Components = Gen.OneOf(
        Gen.Byte.Array[4].Select(v => Component(MultiaddrProtocol.Ip4, v)),
        Gen.Byte.Array[16].Select(v => Component(MultiaddrProtocol.Ip6, v)),
        Gen.Select(Gen.Int[0, s_ports.Length - 1], Gen.UShort, (i, port) => Component(s_ports[i], [(byte)(port >> 8), (byte)port])),
        Gen.Byte.Select(b => Component(MultiaddrProtocol.IpCidr, [b])),
        Multihashes.Select(mh => Component(MultiaddrProtocol.P2p, mh)),
        Multihashes.Select(mh => Component(MultiaddrProtocol.CertHash, mh)),
        Gen.Select(Gen.Int[0, s_names.Length - 1], Names, (i, name) => Component(s_names[i], Encoding.UTF8.GetBytes(name))),
        Names.Select(zone => Component(MultiaddrProtocol.Ip6Zone, Encoding.UTF8.GetBytes(zone))),
        Gen.Select(Gen.Bool, Gen.Byte.Array[1, 60], (unix, path) => Component(unix ? MultiaddrProtocol.Unix : MultiaddrProtocol.HttpPath, path)),
        Gen.Int[0, s_noValue.Length - 1].Select(i => Component(s_noValue[i], [])));

    internal static readonly Gen<byte[]> Addresses =
        Components.Array[1, 6].Select(parts => parts.SelectMany(p => p).ToArray());

    [Fact]
    public void Random_valid_binary_round_trips_through_canonical_text()
    {
        Property.ForAll(Addresses, bytes =>
        {
            Assert.True(Multiaddr.TryValidate(bytes, out MultiaddrError error), error.ToString());
            Multiaddr addr = Multiaddr.FromBytes(bytes);
            string text = addr.ToString();
            Multiaddr back = Multiaddr.Parse(text);
            Assert.Equal(bytes, back.ToArray());
            Assert.Equal(text, back.ToString());

            Span<char> chars = stackalloc char[addr.GetMaxFormattedLength()];
            Assert.True(addr.TryFormat(chars, out int written));
            Assert.Equal(text, new string(chars[..written]));
            Assert.False(addr.TryFormat(chars[..(written - 1)], out _));
        });
    }

    [Fact]
    public void Random_bytes_are_either_valid_and_round_trip_or_rejected_with_a_typed_error()
    {
        // Valid addresses with one byte changed or cut off, and pure noise: decoding never throws anything but
        // MultiaddrFormatException, and anything accepted survives binary → text → binary.
        Gen<byte[]> mutated = Gen.Select(Addresses, Gen.Int, Gen.Byte, (bytes, at, value) =>
        {
            byte[] copy = (byte[])bytes.Clone();
            int i = (int)((uint)at % (uint)copy.Length);
            copy[i] = value;
            return at % 3 == 0 ? copy[..i] : copy;
        });
        Property.ForAll(Gen.OneOf(mutated, Gen.Byte.Array[0, 40]), bytes =>
        {
            bool valid = Multiaddr.TryValidate(bytes, out MultiaddrError error);
            Assert.Equal(valid, error == MultiaddrError.None);
            if (!valid)
            {
                var ex = Assert.Throws<MultiaddrFormatException>(() => Multiaddr.FromBytes(bytes));
                Assert.Equal(error, ex.Error);
                return;
            }
            Multiaddr addr = Multiaddr.FromBytes(bytes);
            Assert.Equal(bytes, Multiaddr.Parse(addr.ToString()).ToArray());
        }, iterations: 20_000);
    }

    [Fact]
    public void Random_ip6_addresses_print_in_a_form_the_bcl_reads_back()
    {
        Property.ForAll(Gen.OneOf(Gen.Byte.Array[16], Gen.Byte[0, 1].Array[16]), bytes =>
        {
            string text = Multiaddr.FromBytes(Component(MultiaddrProtocol.Ip6, bytes)).ToString()[5..];
            Assert.Equal(bytes, System.Net.IPAddress.Parse(text).GetAddressBytes());
            Assert.Equal(text, text.ToLowerInvariant());
        });
    }

    private static byte[] Component(MultiaddrProtocol protocol, byte[] value)
    {
        var bytes = new List<byte>();
        Span<byte> varint = stackalloc byte[Uvarint.MaxLength];
        Uvarint.TryWrite(varint, (ulong)protocol, out int n);
        bytes.AddRange(varint[..n]);
        if (MultiaddrProtocols.GetValueSize(protocol) < 0)
        {
            Uvarint.TryWrite(varint, (ulong)value.Length, out n);
            bytes.AddRange(varint[..n]);
        }
        bytes.AddRange(value);
        return bytes.ToArray();
    }
}
