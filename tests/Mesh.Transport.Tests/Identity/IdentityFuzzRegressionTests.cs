using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>
/// Inputs found by the AFL++ campaigns on the identity fuzz targets, kept as regression tests (the raw crash inputs
/// are also in fuzz/corpus/TARGET/regression-*, so Mesh.Fuzz.Tests replays them through the targets).
/// </summary>
public sealed class IdentityFuzzRegressionTests
{
    [Theory]
    // key-protobuf: an ECDSA PrivateKey whose SEC1 curve OID is mangled (1.2.840.10045.8.3.18…): the platform import
    // threw PlatformNotSupportedException, not CryptographicException.
    [InlineData("08031279307702010104203e5b1fe9712e6c314942bd50bd67485de3c1efe85b1bfb520ae8f9ae3dfa4a4ca00a06082a8648ce3d080312a14403420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62", true)]
    // key-protobuf: an ECDSA PublicKey whose curve OID is 1.2.840.49.61.3.1.7 (same platform exception).
    [InlineData("0803125b3059301306072a8648ce3d020106082a8648313d03010703420004de3d300fa36ae0e8f5d530899d83ab9044abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47d646a597fb4dcec008011220409e62", false)]
    public void Mangled_ecdsa_curves_are_key_format_errors(string hex, bool isPrivate)
    {
        byte[] input = Hex.Decode(hex);
        if (isPrivate)
        {
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromProtobuf(input));
            Assert.False(PrivateKey.TryFromProtobuf(input, out _, out _));
        }
        else
        {
            Assert.Equal(KeyFormatError.UnsupportedCurve, Assert.Throws<KeyFormatException>(() => PublicKey.FromProtobuf(input)).Error);
            Assert.False(PublicKey.TryFromProtobuf(input, out _, out _));
        }
    }
}
