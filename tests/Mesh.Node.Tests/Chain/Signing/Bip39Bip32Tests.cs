using Mesh.Node.Chain.Signing;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Signing;

public sealed class Bip39Bip32Tests
{
    private const string Abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    [Fact]
    public void Word_list_is_the_bip39_english_list()
    {
        Assert.Equal(2048, Bip39.EnglishWords.Count);
        Assert.Equal("abandon", Bip39.EnglishWords[0]);
        Assert.Equal("zoo", Bip39.EnglishWords[2047]);
    }

    // Trezor's BIP39 reference vectors (vectors.json, passphrase "TREZOR").
    [Theory]
    [InlineData("00000000000000000000000000000000", Abandon,
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04")]
    [InlineData("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f", "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607")]
    [InlineData("ffffffffffffffffffffffffffffffff", "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
        "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069")]
    public void Trezor_vectors(string entropy, string mnemonic, string seed)
    {
        Assert.Equal(mnemonic, Bip39.EntropyToMnemonic(Hex.Decode(entropy)));
        Assert.Equal(entropy, Hex.Encode(Bip39.MnemonicToEntropy(mnemonic)));
        Assert.Equal(seed, Hex.Encode(Bip39.MnemonicToSeed(mnemonic, "TREZOR")));
    }

    [Theory]
    [InlineData("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon")] // checksum
    [InlineData("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon")] // 11 words
    [InlineData("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abou")] // unknown word
    public void Invalid_mnemonics_are_refused(string mnemonic) =>
        Assert.Throws<ArgumentException>(() => Bip39.MnemonicToSeed(mnemonic));

    // BIP32 test vector 1 (seed 000102…0f).
    [Theory]
    [InlineData("m", "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35")]
    [InlineData("m/0'", "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea")]
    [InlineData("m/0'/1", "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368")]
    [InlineData("m/0H/1/2H", "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca")]
    [InlineData("m/0'/1/2'/2", "0f479245fb19a38a1954c5c7c0ebab2f9bdfd96a17563ef28a6a4b1a2a764ef4")]
    public void Bip32_vector_1(string path, string privateKey) =>
        Assert.Equal(privateKey, Hex.Encode(Bip32.DerivePrivateKey(Hex.Decode("000102030405060708090a0b0c0d0e0f"), path)));

    [Fact]
    public void Abandon_about_gives_the_well_known_first_ethereum_account()
    {
        // m/44'/60'/0'/0/0 of the all-zero-entropy mnemonic (MetaMask, ethers, web3 all derive this address).
        EthereumKeyPair key = EthereumKeyPair.FromMnemonic(Abandon);
        Assert.Equal("0x9858EfFD232B4033E47d90003D41EC34EcaEda94", key.Address.ToString());
    }

    [Theory]
    // The Moonbeam development mnemonic derives the genesis-funded Alith, Baltathar and Charleth (RUNTIME.md §3).
    [InlineData("m/44'/60'/0'/0/0", "0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac")]
    [InlineData("m/44'/60'/0'/0/1", "0x3Cd0A705a2DC65e5b1E1205896BaA2be8A07c6e0")]
    [InlineData("m/44'/60'/0'/0/2", "0x798d4Ba9baf0064Ec19eB4F0a1a45785ae9D6DFc")]
    public void Moonbeam_dev_mnemonic_derives_the_funded_accounts(string path, string address)
    {
        EthereumKeyPair key = EthereumKeyPair.FromMnemonic("bottom drive obey lake curtain smoke basket hold race lonely fit walk", "", path);
        Assert.Equal(address, key.Address.ToString());
    }

    [Theory]
    [InlineData("44'/60'")]
    [InlineData("m/x")]
    [InlineData("m/2147483648")]
    public void Bad_paths_are_refused(string path) => Assert.Throws<ArgumentException>(() => Bip32.ParsePath(path));
}
