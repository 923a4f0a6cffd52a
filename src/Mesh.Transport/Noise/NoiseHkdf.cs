using System.Security.Cryptography;

namespace Mesh.Transport.Noise;

/// <summary>
/// HKDF as the Noise Protocol Framework defines it (rev 34, §4.3), with HMAC-SHA256. It is RFC 5869 with an empty
/// info and the outputs taken block by block, which is not the layout of <see cref="HKDF"/> in the BCL, so it is
/// written out with HMAC one-shots:
/// <code>
///   temp_key = HMAC-HASH(chaining_key, input_key_material)
///   output1  = HMAC-HASH(temp_key, byte(0x01))
///   output2  = HMAC-HASH(temp_key, output1 ‖ byte(0x02))
/// </code>
/// All intermediate values live on the stack and are cleared before returning.
/// </summary>
internal static class NoiseHkdf
{
    private const int Length = NoiseConstants.HashLength;

    /// <summary>
    /// HKDF(chaining_key, input_key_material, 2). <paramref name="output1"/> may be the same span as
    /// <paramref name="chainingKey"/> (MixKey overwrites ck in place).
    /// </summary>
    public static void DeriveTwo(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output1, Span<byte> output2)
    {
        Span<byte> tempKey = stackalloc byte[Length];
        Span<byte> block = stackalloc byte[Length + 1];
        try
        {
            HMACSHA256.HashData(chainingKey, inputKeyMaterial, tempKey);

            block[0] = 0x01;
            HMACSHA256.HashData(tempKey, block[..1], block[..Length]);
            // block = output1; now block = output1 ‖ 0x02 for the second output.
            block[Length] = 0x02;
            HMACSHA256.HashData(tempKey, block, output2);
            block[..Length].CopyTo(output1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempKey);
            CryptographicOperations.ZeroMemory(block);
        }
    }
}
