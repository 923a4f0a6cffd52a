using Mesh.Multistream;
using Mesh.Node.Chain.Metadata;

namespace Mesh.Fuzz.Node;

/// <summary>
/// Runtime metadata V14/V15 decoding. Differential: whatever decodes must re-encode to exactly the input bytes
/// (the decoder is strict and the encoder its inverse). Only <see cref="MeshProtocolException"/> is acceptable.
/// The corpus is seeded with the real Hoskinson runtime's metadata as chopsticks serves it.
/// </summary>
public sealed class MetadataFuzzTarget : IFuzzTarget
{
    public string Name => "metadata";

    public void Run(ReadOnlySpan<byte> input)
    {
        RuntimeMetadata metadata;
        try
        {
            metadata = RuntimeMetadata.Decode(input);
        }
        catch (MeshProtocolException)
        {
            return;
        }
        if (!metadata.Encode().AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException("metadata re-encoding differs from the decoded input");
        }
    }
}
