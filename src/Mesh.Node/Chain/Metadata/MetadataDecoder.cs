using Mesh.Node.Chain.Scale;

namespace Mesh.Node.Chain.Metadata;

/// <summary>
/// Decodes <c>RuntimeMetadataPrefixed</c> (frame-metadata crate, <c>v14.rs</c> / <c>v15.rs</c>; type registry from
/// scale-info <c>PortableRegistry</c>):
/// <code>
///   u32 magic "meta" ++ u8 version (14 | 15) ++
///   PortableRegistry  Vec&lt;{ Compact&lt;u32&gt; id, Type { path: Vec&lt;String&gt;, params: Vec&lt;{String, Option&lt;Compact u32&gt;}&gt;,
///                                                       def: TypeDef, docs: Vec&lt;String&gt; } }&gt;
///   pallets           Vec&lt;Pallet { name, storage: Option&lt;{prefix, entries}&gt;, calls: Option&lt;ty&gt;, event: Option&lt;ty&gt;,
///                                 constants: Vec&lt;{name, ty, value: Vec&lt;u8&gt;, docs}&gt;, error: Option&lt;ty&gt;, index: u8
///                                 [, docs: Vec&lt;String&gt; (V15)] }&gt;
///   V14: extrinsic { ty, version: u8, signed_extensions } ++ runtime ty
///   V15: extrinsic { version: u8, address_ty, call_ty, signature_ty, extra_ty, signed_extensions } ++ runtime ty
///        ++ apis ++ outer_enums { call, event, error } ++ custom: BTreeMap&lt;String, { ty, value: Vec&lt;u8&gt; }&gt;
/// </code>
/// Every type id is a <c>Compact&lt;u32&gt;</c>. Any malformed input yields a <see cref="ChainDecodeException"/>.
/// </summary>
internal static class MetadataDecoder
{
    public static RuntimeMetadata Decode(ReadOnlySpan<byte> blob)
    {
        var r = new ScaleReader(blob);
        if (r.ReadU32() != RuntimeMetadata.Magic)
        {
            ChainThrow.Decode("metadata does not start with the \"meta\" magic");
        }
        byte version = r.ReadU8();
        if (version is not (14 or 15))
        {
            ChainThrow.Decode($"metadata version {version} is not supported (V14 and V15 are)");
        }
        PortableRegistry types = ReadRegistry(ref r);
        PalletMetadata[] pallets = ReadArray(ref r, 2, static (ref ScaleReader rr, byte v) => ReadPallet(ref rr, v), version);
        ExtrinsicMetadata extrinsic;
        if (version == 14)
        {
            int ty = TypeId(ref r);
            byte extVersion = r.ReadU8();
            SignedExtensionMetadata[] exts = ReadSignedExtensions(ref r);
            extrinsic = new ExtrinsicMetadata(extVersion, exts, ty, null, null, null, null);
        }
        else
        {
            byte extVersion = r.ReadU8();
            int address = TypeId(ref r);
            int call = TypeId(ref r);
            int signature = TypeId(ref r);
            int extra = TypeId(ref r);
            SignedExtensionMetadata[] exts = ReadSignedExtensions(ref r);
            extrinsic = new ExtrinsicMetadata(extVersion, exts, null, address, call, signature, extra);
        }
        int runtimeType = TypeId(ref r);
        RuntimeApiMetadata[] apis = [];
        OuterEnums? outer = null;
        CustomValueMetadata[] custom = [];
        if (version == 15)
        {
            apis = ReadArray(ref r, 3, static (ref ScaleReader rr, byte _) => ReadApi(ref rr), version);
            outer = new OuterEnums(TypeId(ref r), TypeId(ref r), TypeId(ref r));
            custom = ReadArray(ref r, 3, static (ref ScaleReader rr, byte _) =>
                new CustomValueMetadata(rr.ReadString(), TypeId(ref rr), rr.ReadByteVec().ToArray()), version);
        }
        r.EnsureEnd("metadata");
        var metadata = new RuntimeMetadata
        {
            Version = version,
            Types = types,
            Pallets = pallets,
            Extrinsic = extrinsic,
            RuntimeTypeId = runtimeType,
            Apis = apis,
            OuterEnums = outer,
            Custom = custom,
        };
        Validate(metadata);
        return metadata;
    }

    private delegate T ItemReader<T>(ref ScaleReader reader, byte version);

    private static T[] ReadArray<T>(ref ScaleReader r, int minItemSize, ItemReader<T> read, byte version)
    {
        int n = r.ReadLength(minItemSize);
        if (n == 0)
        {
            return [];
        }
        var items = new T[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = read(ref r, version);
        }
        return items;
    }

    private static int TypeId(ref ScaleReader r)
    {
        uint id = r.ReadCompactU32();
        if (id > int.MaxValue)
        {
            ChainThrow.Decode($"type id {id} out of range");
        }
        return (int)id;
    }

    private static int? OptionalTypeId(ref ScaleReader r) => r.ReadOptionTag() ? TypeId(ref r) : null;

    private static string? OptionalString(ref ScaleReader r) => r.ReadOptionTag() ? r.ReadString() : null;

    private static PortableRegistry ReadRegistry(ref ScaleReader r)
    {
        // Smallest type: compact id, empty path, empty params, def tag + payload, empty docs = 5 bytes.
        int n = r.ReadLength(5);
        var types = new PortableType[n];
        for (int i = 0; i < n; i++)
        {
            int id = TypeId(ref r);
            if (id != i)
            {
                ChainThrow.Decode($"type registry entry {i} has id {id}; ids must be dense and in order");
            }
            string[] path = r.ReadStringVec();
            TypeParameter[] parameters = ReadArray(ref r, 2, static (ref ScaleReader rr, byte _) =>
                new TypeParameter(rr.ReadString(), OptionalTypeId(ref rr)), 0);
            byte tag = r.ReadU8();
            PortableType type = tag switch
            {
                (byte)TypeDefKind.Composite => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Composite,
                    Fields = ReadFields(ref r), Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Variant => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Variant,
                    Variants = ReadArray(ref r, 4, static (ref ScaleReader rr, byte _) =>
                        new TypeVariant(rr.ReadString(), ReadFields(ref rr), rr.ReadU8(), rr.ReadStringVec()), 0),
                    Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Sequence => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Sequence,
                    ElementTypeId = TypeId(ref r), Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Array => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Array,
                    ArrayLength = r.ReadU32(), ElementTypeId = TypeId(ref r), Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Tuple => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Tuple,
                    TupleTypeIds = ReadArray(ref r, 1, static (ref ScaleReader rr, byte _) => TypeId(ref rr), 0),
                    Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Primitive => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Primitive,
                    Primitive = ReadPrimitive(ref r), Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.Compact => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.Compact,
                    ElementTypeId = TypeId(ref r), Docs = r.ReadStringVec(),
                },
                (byte)TypeDefKind.BitSequence => new PortableType
                {
                    Id = id, Path = path, Parameters = parameters, Kind = TypeDefKind.BitSequence,
                    BitStoreTypeId = TypeId(ref r), BitOrderTypeId = TypeId(ref r), Docs = r.ReadStringVec(),
                },
                _ => ChainThrow.Decode<PortableType>($"type #{id}: unknown TypeDef variant {tag}"),
            };
            types[i] = type;
        }
        return new PortableRegistry(types);
    }

    private static PrimitiveKind ReadPrimitive(ref ScaleReader r)
    {
        byte p = r.ReadU8();
        if (p > (byte)PrimitiveKind.I256)
        {
            ChainThrow.Decode($"unknown primitive type {p}");
        }
        return (PrimitiveKind)p;
    }

    private static TypeField[] ReadFields(ref ScaleReader r) =>
        ReadArray(ref r, 4, static (ref ScaleReader rr, byte _) =>
            new TypeField(OptionalString(ref rr), TypeId(ref rr), OptionalString(ref rr), rr.ReadStringVec()), 0);

    private static PalletMetadata ReadPallet(ref ScaleReader r, byte version)
    {
        string name = r.ReadString();
        string? prefix = null;
        StorageEntryMetadata[] storage = [];
        if (r.ReadOptionTag())
        {
            prefix = r.ReadString();
            storage = ReadArray(ref r, 5, static (ref ScaleReader rr, byte _) => ReadStorageEntry(ref rr), version);
        }
        int? calls = OptionalTypeId(ref r);
        int? events = OptionalTypeId(ref r);
        ConstantMetadata[] constants = ReadArray(ref r, 4, static (ref ScaleReader rr, byte _) =>
            new ConstantMetadata(rr.ReadString(), TypeId(ref rr), rr.ReadByteVec().ToArray(), rr.ReadStringVec()), version);
        int? errors = OptionalTypeId(ref r);
        byte index = r.ReadU8();
        string[] docs = version >= 15 ? r.ReadStringVec() : [];
        return new PalletMetadata
        {
            Name = name, Index = index, StoragePrefix = prefix, Storage = storage, CallTypeId = calls,
            EventTypeId = events, Constants = constants, ErrorTypeId = errors, Docs = docs,
        };
    }

    private static StorageEntryMetadata ReadStorageEntry(ref ScaleReader r)
    {
        string name = r.ReadString();
        byte modifier = r.ReadU8();
        if (modifier > 1)
        {
            ChainThrow.Decode($"storage entry {name}: unknown modifier {modifier}");
        }
        byte kind = r.ReadU8();
        StorageHasher[] hashers = [];
        int? key = null;
        int value;
        if (kind == 0)
        {
            value = TypeId(ref r);
        }
        else if (kind == 1)
        {
            hashers = ReadArray(ref r, 1, static (ref ScaleReader rr, byte _) =>
            {
                byte h = rr.ReadU8();
                if (h > (byte)StorageHasher.Identity)
                {
                    ChainThrow.Decode($"unknown storage hasher {h}");
                }
                return (StorageHasher)h;
            }, 0);
            key = TypeId(ref r);
            value = TypeId(ref r);
        }
        else
        {
            return ChainThrow.Decode<StorageEntryMetadata>($"storage entry {name}: unknown entry type {kind}");
        }
        byte[] defaultValue = r.ReadByteVec().ToArray();
        string[] docs = r.ReadStringVec();
        return new StorageEntryMetadata(name, (StorageEntryModifier)modifier, hashers, key, value, defaultValue, docs);
    }

    private static SignedExtensionMetadata[] ReadSignedExtensions(ref ScaleReader r) =>
        ReadArray(ref r, 3, static (ref ScaleReader rr, byte _) =>
            new SignedExtensionMetadata(rr.ReadString(), TypeId(ref rr), TypeId(ref rr)), 0);

    private static RuntimeApiMetadata ReadApi(ref ScaleReader r)
    {
        string name = r.ReadString();
        RuntimeApiMethodMetadata[] methods = ReadArray(ref r, 3, static (ref ScaleReader rr, byte _) =>
        {
            string methodName = rr.ReadString();
            RuntimeApiMethodParam[] inputs = ReadArray(ref rr, 2, static (ref ScaleReader r3, byte _) =>
                new RuntimeApiMethodParam(r3.ReadString(), TypeId(ref r3)), 0);
            int output = TypeId(ref rr);
            return new RuntimeApiMethodMetadata(methodName, inputs, output, rr.ReadStringVec());
        }, 0);
        return new RuntimeApiMetadata(name, methods, r.ReadStringVec());
    }

    /// <summary>Every type id the document mentions must exist, so later lookups cannot fail on a dangling id.</summary>
    private static void Validate(RuntimeMetadata m)
    {
        PortableRegistry types = m.Types;
        void Check(int id)
        {
            _ = types[id];
        }
        foreach (PortableType t in types.Types)
        {
            foreach (TypeParameter p in t.Parameters)
            {
                if (p.TypeId is int pid)
                {
                    Check(pid);
                }
            }
            switch (t.Kind)
            {
                case TypeDefKind.Composite:
                    foreach (TypeField f in t.Fields)
                    {
                        Check(f.TypeId);
                    }
                    break;
                case TypeDefKind.Variant:
                    foreach (TypeVariant v in t.Variants)
                    {
                        foreach (TypeField f in v.Fields)
                        {
                            Check(f.TypeId);
                        }
                    }
                    break;
                case TypeDefKind.Sequence or TypeDefKind.Array or TypeDefKind.Compact:
                    Check(t.ElementTypeId);
                    break;
                case TypeDefKind.Tuple:
                    foreach (int id in t.TupleTypeIds)
                    {
                        Check(id);
                    }
                    break;
                case TypeDefKind.BitSequence:
                    Check(t.BitStoreTypeId);
                    Check(t.BitOrderTypeId);
                    break;
            }
        }
        foreach (PalletMetadata p in m.Pallets)
        {
            foreach (StorageEntryMetadata e in p.Storage)
            {
                Check(e.ValueTypeId);
                if (e.KeyTypeId is int k)
                {
                    Check(k);
                }
            }
            if (p.CallTypeId is int c)
            {
                Check(c);
            }
            if (p.EventTypeId is int ev)
            {
                Check(ev);
            }
            if (p.ErrorTypeId is int er)
            {
                Check(er);
            }
            foreach (ConstantMetadata k in p.Constants)
            {
                Check(k.TypeId);
            }
        }
        foreach (int? id in new[] { m.Extrinsic.ExtrinsicTypeId, m.Extrinsic.AddressTypeId, m.Extrinsic.CallTypeId,
                     m.Extrinsic.SignatureTypeId, m.Extrinsic.ExtraTypeId })
        {
            if (id is int x)
            {
                Check(x);
            }
        }
        foreach (RuntimeApiMetadata api in m.Apis)
        {
            foreach (RuntimeApiMethodMetadata method in api.Methods)
            {
                Check(method.OutputTypeId);
                foreach (RuntimeApiMethodParam input in method.Inputs)
                {
                    Check(input.TypeId);
                }
            }
        }
        if (m.OuterEnums is OuterEnums outer)
        {
            Check(outer.CallTypeId);
            Check(outer.EventTypeId);
            Check(outer.ErrorTypeId);
        }
        foreach (CustomValueMetadata c in m.Custom)
        {
            Check(c.TypeId);
        }
        foreach (SignedExtensionMetadata s in m.Extrinsic.SignedExtensions)
        {
            Check(s.TypeId);
            Check(s.AdditionalSignedTypeId);
        }
        Check(m.RuntimeTypeId);
    }
}
