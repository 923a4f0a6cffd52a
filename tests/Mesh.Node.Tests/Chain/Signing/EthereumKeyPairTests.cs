using System.Text;
using Mesh.Node.Chain.Signing;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Signing;

public sealed class EthereumKeyPairTests
{
    // RUNTIME.md §3 (derived and cross-checked there) and the Moonbeam development accounts.
    [Theory]
    [InlineData("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133", "0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac")]
    [InlineData("0x8075991ce870b93a8870eca0c0f91913d12f47948ca0fd25b49c6fa7cdbeee8b", "0x3Cd0A705a2DC65e5b1E1205896BaA2be8A07c6e0")]
    [InlineData("0x0b6e18cafb6ed99687ec547bd28139cafdd2bffe70e6b688025de6b445aa5c5b", "0x798d4Ba9baf0064Ec19eB4F0a1a45785ae9D6DFc")]
    [InlineData("0x51b7c50c1cd27de89a361210431e8f03a7ddda1a0c8c5ff4e4658ca81ac02720", "0x2f7703Ba9953d422294079A1CB32f5d2B60E38EB")]
    // web3.js documentation example account.
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")]
    public void Address_from_private_key_with_eip55_checksum(string privateKey, string address)
    {
        EthereumKeyPair key = EthereumKeyPair.FromPrivateKeyHex(privateKey);
        Assert.Equal(address, key.Address.ToString());
        Assert.Equal(key.Address, AccountId20.Parse(address.ToLowerInvariant()));
        Assert.Equal(privateKey[2..], Hex.Encode(key.ExportPrivateKey()));
    }

    [Fact]
    public void Eip55_checksum_is_enforced_for_mixed_case()
    {
        Assert.True(AccountId20.TryParse("0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac", out _));
        Assert.True(AccountId20.TryParse("0xF24FF3A9CF04C71DBC94D0B566F7A27B94566CAC", out _));
        Assert.False(AccountId20.TryParse("0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cAc", out _));
        Assert.False(AccountId20.TryParse("0xf24ff3a9cf04c71dbc94d0b566f7a27b94566c", out _));
    }

    [Fact]
    public void Keccak256_known_outputs()
    {
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Hex.Encode(Keccak256.Hash([])));
        Assert.Equal("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", Hex.Encode(Keccak256.Hash("abc"u8)));
    }

    /// <summary>RUNTIME.md §4 vector A: Alith's signature over a ≤ 256-byte payload (polkadot-js, RFC 6979).</summary>
    [Fact]
    public void Signature_matches_the_chain_vector_and_recovers()
    {
        byte[] message = Hex.Decode("04032f7703ba9953d422294079a1cb32f5d2b60e38eb130000e8890423c78a000000010000000100000045454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545");
        Assert.Equal("f81dc6a54a8c3c82b6e2e9d22aaa042b2e0af25cb07c6f547b6dba87ff05356d", Hex.Encode(Keccak256.Hash(message)));
        EthereumKeyPair alith = EthereumKeyPair.FromPrivateKeyHex("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133");
        byte[] signature = alith.Sign(message);
        Assert.Equal("75a76e418bee79b16578f98562c8c3cc1a3c7bfd4976ecd8e7156ae21ca8f62d4d0aca90aef136e94bc3f8f65a1244378bcd63d39b266cde160fa07d58d3681801",
            Hex.Encode(signature));
        Assert.Equal(alith.Address, EthereumSignature.RecoverAddress(signature, message));
        Assert.True(EthereumSignature.Verify(signature, message, alith.Address));
        // v = 27/28 is accepted too.
        signature[64] += 27;
        Assert.Equal(alith.Address, EthereumSignature.RecoverAddress(signature, message));
    }

    [Fact]
    public void Signature_over_a_blake2_prehashed_payload_matches_vector_b()
    {
        // RUNTIME.md §4 vector B: message = blake2_256(payload) because the payload is over 256 bytes.
        byte[] message = Hex.Decode("b05f37de64d0ef946367e702a9a421b40bbb3bad00e7e67c29ac44c99bd38bf3");
        Assert.Equal("d71c1582249bf76c5a39fc978bf7e9c2a5dfb4bebc225b836a14894323a3e739", Hex.Encode(Keccak256.Hash(message)));
        EthereumKeyPair alith = EthereumKeyPair.FromPrivateKeyHex("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133");
        Assert.Equal("f3e0ff6a789a6862bccf8ce3b5e8270b6593208fc5dea5b926b158dc1050f71122f869eee1fcd483ee0ea4f1e36b3889ebd96cdbc27f074bdd4a9731cfe0102800",
            Hex.Encode(alith.Sign(message)));
    }

    [Fact]
    public void Tampered_or_malformed_signatures_do_not_recover_the_signer()
    {
        EthereumKeyPair key = EthereumKeyPair.FromPrivateKeyHex("0x8075991ce870b93a8870eca0c0f91913d12f47948ca0fd25b49c6fa7cdbeee8b");
        byte[] message = Encoding.UTF8.GetBytes("mesh");
        byte[] signature = key.Sign(message);
        Assert.False(EthereumSignature.Verify(signature, "mesh!"u8, key.Address));
        byte[] badV = (byte[])signature.Clone();
        badV[64] = 5;
        Assert.Null(EthereumSignature.RecoverAddress(badV, message));
        byte[] zeroR = (byte[])signature.Clone();
        zeroR.AsSpan(0, 32).Clear();
        Assert.Null(EthereumSignature.RecoverAddress(zeroR, message));
        byte[] highS = (byte[])signature.Clone();
        highS.AsSpan(32, 32).Fill(0xff);
        Assert.Null(EthereumSignature.RecoverAddress(highS, message));
        Assert.Null(EthereumSignature.RecoverAddress(signature.AsSpan(0, 64), message));
    }

    [Fact]
    public void Signatures_are_deterministic_and_low_s()
    {
        EthereumKeyPair key = EthereumKeyPair.FromPrivateKeyHex("0x0b6e18cafb6ed99687ec547bd28139cafdd2bffe70e6b688025de6b445aa5c5b");
        var halfN = Org.BouncyCastle.Math.BigInteger.One.ShiftLeft(255);
        for (int i = 0; i < 50; i++)
        {
            byte[] message = Encoding.UTF8.GetBytes("message " + i);
            byte[] a = key.Sign(message);
            Assert.Equal(a, key.Sign(message));
            Assert.True(new Org.BouncyCastle.Math.BigInteger(1, a, 32, 32).CompareTo(halfN) < 0);
            Assert.True(a[64] is 0 or 1);
            Assert.Equal(key.Address, EthereumSignature.RecoverAddress(a, message));
        }
    }

    [Theory]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")]
    [InlineData("0x1234")]
    [InlineData("0xzz5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da7021")]
    public void Invalid_private_keys_are_refused(string hex) =>
        Assert.Throws<ArgumentException>(() => EthereumKeyPair.FromPrivateKeyHex(hex));
}
