using System.Buffers;
using Mesh.Node.Chain.Scale;

namespace Mesh.Node.Chain.Metadata;

/// <summary>
/// Writes a <see cref="RuntimeMetadata"/> back to <c>RuntimeMetadataPrefixed</c> bytes, the exact inverse of
/// <see cref="MetadataDecoder"/> (layout documented there). Used to prove the decoder lossless (decode → encode gives
/// the chain's own bytes) and by the fuzz target as a differential check.
/// </summary>
internal static class MetadataEncoder
{
    public static byte[] Encode(RuntimeMetadata m)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        Write(m, new ScaleWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(RuntimeMetadata m, ScaleWriter w)
    {
        w.WriteU32(RuntimeMetadata.Magic);
        w.WriteU8(m.Version);
        w.WriteCompact((uint)m.Types.Count);
        foreach (PortableType t in m.Types.Types)
        {
            WriteType(w, t);
        }
        w.WriteCompact((uint)m.Pallets.Length);
        foreach (PalletMetadata p in m.Pallets)
        {
            WritePallet(w, p, m.Version);
        }
        ExtrinsicMetadata x = m.Extrinsic;
        if (m.Version == 14)
        {
            w.WriteCompact((uint)(x.ExtrinsicTypeId ?? 0));
            w.WriteU8(x.Version);
        }
        else
        {
            w.WriteU8(x.Version);
            w.WriteCompact((uint)(x.AddressTypeId ?? 0));
            w.WriteCompact((uint)(x.CallTypeId ?? 0));
            w.WriteCompact((uint)(x.SignatureTypeId ?? 0));
            w.WriteCompact((uint)(x.ExtraTypeId ?? 0));
        }
        w.WriteCompact((uint)x.SignedExtensions.Length);
        foreach (SignedExtensionMetadata s in x.SignedExtensions)
        {
            w.WriteString(s.Identifier);
            w.WriteCompact((uint)s.TypeId);
            w.WriteCompact((uint)s.AdditionalSignedTypeId);
        }
        w.WriteCompact((uint)m.RuntimeTypeId);
        if (m.Version >= 15)
        {
            w.WriteCompact((uint)m.Apis.Length);
            foreach (RuntimeApiMetadata api in m.Apis)
            {
                w.WriteString(api.Name);
                w.WriteCompact((uint)api.Methods.Length);
                foreach (RuntimeApiMethodMetadata method in api.Methods)
                {
                    w.WriteString(method.Name);
                    w.WriteCompact((uint)method.Inputs.Length);
                    foreach (RuntimeApiMethodParam input in method.Inputs)
                    {
                        w.WriteString(input.Name);
                        w.WriteCompact((uint)input.TypeId);
                    }
                    w.WriteCompact((uint)method.OutputTypeId);
                    WriteStrings(w, method.Docs);
                }
                WriteStrings(w, api.Docs);
            }
            OuterEnums outer = m.OuterEnums ?? new OuterEnums(0, 0, 0);
            w.WriteCompact((uint)outer.CallTypeId);
            w.WriteCompact((uint)outer.EventTypeId);
            w.WriteCompact((uint)outer.ErrorTypeId);
            w.WriteCompact((uint)m.Custom.Length);
            foreach (CustomValueMetadata c in m.Custom)
            {
                w.WriteString(c.Name);
                w.WriteCompact((uint)c.TypeId);
                w.WriteByteVec(c.Value);
            }
        }
    }

    private static void WriteStrings(ScaleWriter w, string[] values)
    {
        w.WriteCompact((uint)values.Length);
        foreach (string s in values)
        {
            w.WriteString(s);
        }
    }

    private static void WriteOptionalString(ScaleWriter w, string? value)
    {
        if (value is null)
        {
            w.WriteOptionNone();
        }
        else
        {
            w.WriteOptionSome();
            w.WriteString(value);
        }
    }

    private static void WriteOptionalType(ScaleWriter w, int? id)
    {
        if (id is int v)
        {
            w.WriteOptionSome();
            w.WriteCompact((uint)v);
        }
        else
        {
            w.WriteOptionNone();
        }
    }

    private static void WriteFields(ScaleWriter w, TypeField[] fields)
    {
        w.WriteCompact((uint)fields.Length);
        foreach (TypeField f in fields)
        {
            WriteOptionalString(w, f.Name);
            w.WriteCompact((uint)f.TypeId);
            WriteOptionalString(w, f.TypeName);
            WriteStrings(w, f.Docs);
        }
    }

    private static void WriteType(ScaleWriter w, PortableType t)
    {
        w.WriteCompact((uint)t.Id);
        WriteStrings(w, t.Path);
        w.WriteCompact((uint)t.Parameters.Length);
        foreach (TypeParameter p in t.Parameters)
        {
            w.WriteString(p.Name);
            WriteOptionalType(w, p.TypeId);
        }
        w.WriteU8((byte)t.Kind);
        switch (t.Kind)
        {
            case TypeDefKind.Composite:
                WriteFields(w, t.Fields);
                break;
            case TypeDefKind.Variant:
                w.WriteCompact((uint)t.Variants.Length);
                foreach (TypeVariant v in t.Variants)
                {
                    w.WriteString(v.Name);
                    WriteFields(w, v.Fields);
                    w.WriteU8(v.Index);
                    WriteStrings(w, v.Docs);
                }
                break;
            case TypeDefKind.Sequence or TypeDefKind.Compact:
                w.WriteCompact((uint)t.ElementTypeId);
                break;
            case TypeDefKind.Array:
                w.WriteU32(t.ArrayLength);
                w.WriteCompact((uint)t.ElementTypeId);
                break;
            case TypeDefKind.Tuple:
                w.WriteCompact((uint)t.TupleTypeIds.Length);
                foreach (int id in t.TupleTypeIds)
                {
                    w.WriteCompact((uint)id);
                }
                break;
            case TypeDefKind.Primitive:
                w.WriteU8((byte)t.Primitive);
                break;
            case TypeDefKind.BitSequence:
                w.WriteCompact((uint)t.BitStoreTypeId);
                w.WriteCompact((uint)t.BitOrderTypeId);
                break;
        }
        WriteStrings(w, t.Docs);
    }

    private static void WritePallet(ScaleWriter w, PalletMetadata p, byte version)
    {
        w.WriteString(p.Name);
        if (p.StoragePrefix is null)
        {
            w.WriteOptionNone();
        }
        else
        {
            w.WriteOptionSome();
            w.WriteString(p.StoragePrefix);
            w.WriteCompact((uint)p.Storage.Length);
            foreach (StorageEntryMetadata e in p.Storage)
            {
                w.WriteString(e.Name);
                w.WriteU8((byte)e.Modifier);
                if (e.KeyTypeId is int key)
                {
                    w.WriteU8(1);
                    w.WriteCompact((uint)e.Hashers.Length);
                    foreach (StorageHasher h in e.Hashers)
                    {
                        w.WriteU8((byte)h);
                    }
                    w.WriteCompact((uint)key);
                    w.WriteCompact((uint)e.ValueTypeId);
                }
                else
                {
                    w.WriteU8(0);
                    w.WriteCompact((uint)e.ValueTypeId);
                }
                w.WriteByteVec(e.Default);
                WriteStrings(w, e.Docs);
            }
        }
        WriteOptionalType(w, p.CallTypeId);
        WriteOptionalType(w, p.EventTypeId);
        w.WriteCompact((uint)p.Constants.Length);
        foreach (ConstantMetadata c in p.Constants)
        {
            w.WriteString(c.Name);
            w.WriteCompact((uint)c.TypeId);
            w.WriteByteVec(c.Value);
            WriteStrings(w, c.Docs);
        }
        WriteOptionalType(w, p.ErrorTypeId);
        w.WriteU8(p.Index);
        if (version >= 15)
        {
            WriteStrings(w, p.Docs);
        }
    }
}
