namespace Mesh.Node.Chain.Metadata;

/// <summary>frame-metadata <c>StorageHasher</c> (variant index = enum value).</summary>
public enum StorageHasher : byte
{
    Blake2_128 = 0,
    Blake2_256 = 1,
    Blake2_128Concat = 2,
    Twox128 = 3,
    Twox256 = 4,
    Twox64Concat = 5,
    Identity = 6,
}

/// <summary>What a storage read returns for a missing key: None (Optional) or the entry's default bytes (Default).</summary>
public enum StorageEntryModifier : byte
{
    Optional = 0,
    Default = 1,
}

/// <summary>A storage item: a plain value (no hashers, no key type) or a map (one hasher per key).</summary>
public sealed record StorageEntryMetadata(
    string Name,
    StorageEntryModifier Modifier,
    StorageHasher[] Hashers,
    int? KeyTypeId,
    int ValueTypeId,
    byte[] Default,
    string[] Docs)
{
    public bool IsMap => KeyTypeId is not null;
}

public sealed record ConstantMetadata(string Name, int TypeId, byte[] Value, string[] Docs);

/// <summary>A signed extension: its identifier, the type of its part in the extrinsic ("extra") and of its part that is
/// only signed ("additional signed", "implicit").</summary>
public sealed record SignedExtensionMetadata(string Identifier, int TypeId, int AdditionalSignedTypeId);

/// <summary>
/// The extrinsic section. V14 has only the extrinsic type id; V15 names the address, call, signature and extra types.
/// </summary>
public sealed record ExtrinsicMetadata(
    byte Version,
    SignedExtensionMetadata[] SignedExtensions,
    int? ExtrinsicTypeId,
    int? AddressTypeId,
    int? CallTypeId,
    int? SignatureTypeId,
    int? ExtraTypeId);

public sealed record RuntimeApiMethodParam(string Name, int TypeId);

public sealed record RuntimeApiMethodMetadata(string Name, RuntimeApiMethodParam[] Inputs, int OutputTypeId, string[] Docs);

public sealed record RuntimeApiMetadata(string Name, RuntimeApiMethodMetadata[] Methods, string[] Docs);

/// <summary>V15 outer enums: the runtime's call, event and error enum types.</summary>
public sealed record OuterEnums(int CallTypeId, int EventTypeId, int ErrorTypeId);

public sealed record CustomValueMetadata(string Name, int TypeId, byte[] Value);

/// <summary>One pallet: its storage, calls, events, constants and errors as registry type ids.</summary>
public sealed class PalletMetadata
{
    public required string Name { get; init; }

    public required byte Index { get; init; }

    /// <summary>The storage prefix (usually the pallet name), or null when the pallet has no storage.</summary>
    public string? StoragePrefix { get; init; }

    public required StorageEntryMetadata[] Storage { get; init; }

    public int? CallTypeId { get; init; }

    public int? EventTypeId { get; init; }

    public required ConstantMetadata[] Constants { get; init; }

    public int? ErrorTypeId { get; init; }

    public required string[] Docs { get; init; }

    public StorageEntryMetadata? FindStorage(string name) => Array.Find(Storage, e => e.Name == name);

    public ConstantMetadata? FindConstant(string name) => Array.Find(Constants, c => c.Name == name);

    public override string ToString() => $"{Name} ({Index})";
}

/// <summary>
/// A decoded runtime metadata document (V14 or V15, <c>RuntimeMetadataPrefixed</c>). Everything the client encodes
/// or decodes — calls, storage keys and values, constants, events, errors, signed extensions — is resolved through
/// this object and its <see cref="Types"/>, never through hard-coded layouts.
/// </summary>
public sealed class RuntimeMetadata
{
    /// <summary>"meta" as a little-endian u32: the prefix of every metadata blob.</summary>
    public const uint Magic = 0x6174656d;

    public required byte Version { get; init; }

    public required PortableRegistry Types { get; init; }

    public required PalletMetadata[] Pallets { get; init; }

    public required ExtrinsicMetadata Extrinsic { get; init; }

    /// <summary>The runtime type (<c>Runtime</c>).</summary>
    public required int RuntimeTypeId { get; init; }

    /// <summary>V15 only: runtime APIs callable with <c>state_call</c>.</summary>
    public RuntimeApiMetadata[] Apis { get; init; } = [];

    /// <summary>V15 only.</summary>
    public OuterEnums? OuterEnums { get; init; }

    /// <summary>V15 only.</summary>
    public CustomValueMetadata[] Custom { get; init; } = [];

    public PalletMetadata? FindPallet(string name) => Array.Find(Pallets, p => p.Name == name);

    public PalletMetadata? FindPallet(byte index) => Array.Find(Pallets, p => p.Index == index);

    /// <summary>The pallet named <paramref name="name"/>; a <see cref="ChainDecodeException"/> when the runtime has none.</summary>
    public PalletMetadata Pallet(string name) =>
        FindPallet(name) ?? ChainThrow.Decode<PalletMetadata>($"the runtime has no pallet '{name}'");

    public StorageEntryMetadata Storage(string pallet, string entry) =>
        Pallet(pallet).FindStorage(entry) ?? ChainThrow.Decode<StorageEntryMetadata>($"the runtime has no storage item {pallet}.{entry}");

    public ConstantMetadata Constant(string pallet, string name) =>
        Pallet(pallet).FindConstant(name) ?? ChainThrow.Decode<ConstantMetadata>($"the runtime has no constant {pallet}.{name}");

    /// <summary>The call variant <paramref name="call"/> of <paramref name="pallet"/>, with the pallet itself.</summary>
    public (PalletMetadata Pallet, TypeVariant Call) Call(string pallet, string call)
    {
        PalletMetadata p = Pallet(pallet);
        if (p.CallTypeId is not int id)
        {
            ChainThrow.Decode($"pallet {pallet} has no calls");
            return default;
        }
        TypeVariant? v = Types[id].VariantByName(call);
        if (v is null)
        {
            ChainThrow.Decode($"the runtime has no call {pallet}.{call}");
        }
        return (p, v);
    }

    /// <summary>Decodes a <c>RuntimeMetadataPrefixed</c> blob (as <c>state_getMetadata</c> returns it).</summary>
    public static RuntimeMetadata Decode(ReadOnlySpan<byte> blob) => MetadataDecoder.Decode(blob);

    /// <summary>Encodes this document back to its <c>RuntimeMetadataPrefixed</c> bytes (decode∘encode is the identity).</summary>
    public byte[] Encode() => MetadataEncoder.Encode(this);
}
