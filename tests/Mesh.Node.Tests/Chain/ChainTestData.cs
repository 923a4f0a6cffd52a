using Mesh.Node.Chain.Metadata;

namespace Mesh.Node.Tests.Chain;

/// <summary>
/// The real runtime metadata of the Hoskinson runtime, fetched from chopsticks (state_getMetadata = V14;
/// Metadata_metadata_at_version(15) = V15) and checked in, so unit tests resolve calls, storage and events from the
/// chain's own type registry without a running chain.
/// </summary>
internal static class ChainTestData
{
    private static readonly Lazy<byte[]> s_v14 = new(() => Load("hoskinson-metadata-v14.bin"));
    private static readonly Lazy<byte[]> s_v15 = new(() => Load("hoskinson-metadata-v15.bin"));
    private static readonly Lazy<RuntimeMetadata> s_metadata = new(() => RuntimeMetadata.Decode(s_v15.Value));

    public static byte[] MetadataV14 => s_v14.Value;

    public static byte[] MetadataV15 => s_v15.Value;

    public static RuntimeMetadata Metadata => s_metadata.Value;

    private static byte[] Load(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Chain", "Data", name));
}
