namespace Mesh.Node.Chain.Metadata;

/// <summary>The shape of a type in the scale-info portable registry (<c>TypeDef</c> variant index = enum value).</summary>
public enum TypeDefKind : byte
{
    Composite = 0,
    Variant = 1,
    Sequence = 2,
    Array = 3,
    Tuple = 4,
    Primitive = 5,
    Compact = 6,
    BitSequence = 7,
}

/// <summary>scale-info <c>TypeDefPrimitive</c> (variant index = enum value).</summary>
public enum PrimitiveKind : byte
{
    Bool = 0,
    Char = 1,
    Str = 2,
    U8 = 3,
    U16 = 4,
    U32 = 5,
    U64 = 6,
    U128 = 7,
    U256 = 8,
    I8 = 9,
    I16 = 10,
    I32 = 11,
    I64 = 12,
    I128 = 13,
    I256 = 14,
}

/// <summary>A named or unnamed field of a composite type or of an enum variant.</summary>
public sealed record TypeField(string? Name, int TypeId, string? TypeName, string[] Docs);

/// <summary>One variant of an enum type; <see cref="Index"/> is the byte written on the wire.</summary>
public sealed record TypeVariant(string Name, TypeField[] Fields, byte Index, string[] Docs);

/// <summary>A generic parameter of a type (<c>T</c> in <c>Option&lt;T&gt;</c>), with its concrete type if known.</summary>
public sealed record TypeParameter(string Name, int? TypeId);

/// <summary>
/// One entry of the portable type registry. Only the members matching <see cref="Kind"/> are meaningful:
/// Composite → <see cref="Fields"/>; Variant → <see cref="Variants"/>; Sequence/Compact → <see cref="ElementTypeId"/>;
/// Array → <see cref="ElementTypeId"/> and <see cref="ArrayLength"/>; Tuple → <see cref="TupleTypeIds"/>;
/// Primitive → <see cref="Primitive"/>; BitSequence → <see cref="BitStoreTypeId"/>, <see cref="BitOrderTypeId"/>.
/// </summary>
public sealed class PortableType
{
    public required int Id { get; init; }

    public required string[] Path { get; init; }

    public required TypeParameter[] Parameters { get; init; }

    public required TypeDefKind Kind { get; init; }

    public TypeField[] Fields { get; init; } = [];

    public TypeVariant[] Variants { get; init; } = [];

    public int ElementTypeId { get; init; }

    public uint ArrayLength { get; init; }

    public int[] TupleTypeIds { get; init; } = [];

    public PrimitiveKind Primitive { get; init; }

    public int BitStoreTypeId { get; init; }

    public int BitOrderTypeId { get; init; }

    public required string[] Docs { get; init; }

    /// <summary>The last path segment (<c>"BTreeMap"</c>, <c>"AccountId20"</c>), or empty for anonymous types.</summary>
    public string Name => Path.Length == 0 ? "" : Path[^1];

    /// <summary>The variant with the given wire index, or null.</summary>
    public TypeVariant? VariantByIndex(byte index)
    {
        foreach (TypeVariant v in Variants)
        {
            if (v.Index == index)
            {
                return v;
            }
        }
        return null;
    }

    /// <summary>The variant with the given name, or null.</summary>
    public TypeVariant? VariantByName(string name)
    {
        foreach (TypeVariant v in Variants)
        {
            if (v.Name == name)
            {
                return v;
            }
        }
        return null;
    }

    public override string ToString() => Path.Length == 0 ? $"#{Id} {Kind}" : $"#{Id} {string.Join("::", Path)}";
}

/// <summary>
/// The portable type registry of a metadata document: every type the runtime exposes, addressed by id. Type ids are
/// dense (0..Count-1) in every runtime; the decoder refuses a registry where they are not, so lookups are an array
/// index.
/// </summary>
public sealed class PortableRegistry
{
    private readonly PortableType[] _types;

    public PortableRegistry(PortableType[] types)
    {
        _types = types;
    }

    public int Count => _types.Length;

    public IReadOnlyList<PortableType> Types => _types;

    /// <summary>The type with id <paramref name="id"/>; a <see cref="ChainDecodeException"/> if there is none.</summary>
    public PortableType this[int id]
    {
        get
        {
            if ((uint)id >= (uint)_types.Length)
            {
                ChainThrow.Decode($"metadata refers to type #{id}, but the registry has {_types.Length} types");
            }
            return _types[id];
        }
    }

    /// <summary>Follows single-field composites and single-element tuples down to the type that carries the data.</summary>
    public PortableType Unwrap(int id)
    {
        PortableType t = this[id];
        for (int guard = 0; guard < 32; guard++)
        {
            if (t.Kind == TypeDefKind.Composite && t.Fields.Length == 1)
            {
                t = this[t.Fields[0].TypeId];
            }
            else if (t.Kind == TypeDefKind.Tuple && t.TupleTypeIds.Length == 1)
            {
                t = this[t.TupleTypeIds[0]];
            }
            else
            {
                break;
            }
        }
        return t;
    }

    /// <summary>True when the type is <c>u8</c> (so a sequence or array of it is plain bytes).</summary>
    public bool IsU8(int id)
    {
        PortableType t = this[id];
        return t.Kind == TypeDefKind.Primitive && t.Primitive == PrimitiveKind.U8;
    }
}
