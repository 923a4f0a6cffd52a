using System.Buffers;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Storage;

namespace Mesh.Node.Chain.Signing;

/// <summary>What a signature commits to besides the call: the runtime version, the chain, mortality, nonce and tip.</summary>
public sealed record SigningParameters(
    uint SpecVersion,
    uint TransactionVersion,
    byte[] GenesisHash,
    Era Era,
    byte[] EraBlockHash,
    uint Nonce,
    UInt128 Tip);

/// <summary>A signed extrinsic ready for <c>author_submitExtrinsic</c>, with its hash (blake2_256 of the bytes).</summary>
public sealed record SignedExtrinsic(byte[] Bytes, byte[] Hash, byte[] SigningPayload, AccountId20 Signer, uint Nonce)
{
    public string Hex => "0x" + Convert.ToHexStringLower(Bytes);

    public string HashHex => "0x" + Convert.ToHexStringLower(Hash);
}

/// <summary>
/// Builds calls and signed extrinsics from metadata (extrinsic format version 4, <c>UncheckedExtrinsic</c>):
/// <code>
///   extrinsic  = Compact&lt;u32&gt;(len(body)) ++ body
///   body       = (0x80 | version) ++ address ++ signature ++ extra ++ call
///   extra      = each signed extension's "extra" part, in metadata order (era, Compact nonce, Compact tip here)
///   payload    = call ++ extra ++ additional (each extension's "additional signed": spec/tx version, genesis, era hash)
///   message    = len(payload) &gt; 256 ? blake2_256(payload) : payload
/// </code>
/// The address and signature are encoded with the runtime's own types (this chain: raw AccountId20 and a 65-byte
/// EthereumSignature, no enum prefixes; a MultiAddress/MultiSignature runtime gets its variant byte). Signed
/// extensions are resolved by identifier; an unknown extension that carries data is refused rather than guessed.
/// </summary>
public sealed class ExtrinsicBuilder
{
    private readonly RuntimeMetadata _metadata;
    private readonly int? _addressType;
    private readonly int? _signatureType;

    public ExtrinsicBuilder(RuntimeMetadata metadata)
    {
        _metadata = metadata;
        (_addressType, _signatureType) = ResolveAddressAndSignature(metadata);
    }

    public RuntimeMetadata Metadata => _metadata;

    /// <summary>[pallet index, call index] ++ SCALE(args), the args matched to the call's fields by name.</summary>
    public byte[] EncodeCall(string pallet, string call, params (string Name, ScaleValue Value)[] args)
    {
        (PalletMetadata p, TypeVariant v) = _metadata.Call(pallet, call);
        var buffer = new ArrayBufferWriter<byte>(128);
        var w = new ScaleWriter(buffer);
        w.WriteU8(p.Index);
        w.WriteU8(v.Index);
        foreach (TypeField field in v.Fields)
        {
            ScaleValue? value = null;
            foreach ((string name, ScaleValue val) in args)
            {
                if (name == field.Name)
                {
                    value = val;
                    break;
                }
            }
            if (value is null)
            {
                throw new ArgumentException($"{pallet}.{call} needs argument '{field.Name}'");
            }
            ScaleCodec.Encode(_metadata.Types, field.TypeId, value, w);
        }
        if (args.Length != v.Fields.Length)
        {
            throw new ArgumentException($"{pallet}.{call} takes {v.Fields.Length} argument(s), got {args.Length}");
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Extra (in the extrinsic) and additional-signed (only in the payload) bytes of every extension.</summary>
    public (byte[] Extra, byte[] Additional) EncodeExtensions(SigningParameters p)
    {
        var extra = new ArrayBufferWriter<byte>(16);
        var additional = new ArrayBufferWriter<byte>(80);
        var we = new ScaleWriter(extra);
        var wa = new ScaleWriter(additional);
        PortableRegistry types = _metadata.Types;
        foreach (SignedExtensionMetadata ext in _metadata.Extrinsic.SignedExtensions)
        {
            switch (ext.Identifier)
            {
                case "CheckSpecVersion":
                    ScaleCodec.Encode(types, ext.AdditionalSignedTypeId, p.SpecVersion, wa);
                    break;
                case "CheckTxVersion":
                    ScaleCodec.Encode(types, ext.AdditionalSignedTypeId, p.TransactionVersion, wa);
                    break;
                case "CheckGenesis":
                    ScaleCodec.Encode(types, ext.AdditionalSignedTypeId, ScaleValue.Bytes(p.GenesisHash), wa);
                    break;
                case "CheckMortality" or "CheckEra":
                    we.WriteRaw(p.Era.ToBytes());
                    ScaleCodec.Encode(types, ext.AdditionalSignedTypeId, ScaleValue.Bytes(p.Era.IsImmortal ? p.GenesisHash : p.EraBlockHash), wa);
                    break;
                case "CheckNonce":
                    ScaleCodec.Encode(types, ext.TypeId, p.Nonce, we);
                    break;
                case "ChargeTransactionPayment":
                    ScaleCodec.Encode(types, ext.TypeId, p.Tip, we);
                    break;
                case "ChargeAssetTxPayment":
                    ScaleCodec.Encode(types, ext.TypeId, ScaleValue.Record(("tip", p.Tip), ("asset_id", ScaleValue.None)), we);
                    break;
                case "CheckMetadataHash":
                    // Mode::Disabled, and no metadata hash in the signed payload.
                    ScaleCodec.Encode(types, ext.TypeId, ScaleValue.Record(("mode", ScaleValue.Variant("Disabled"))), we);
                    ScaleCodec.Encode(types, ext.AdditionalSignedTypeId, ScaleValue.None, wa);
                    break;
                default:
                    if (!IsUnit(types, ext.TypeId, 0) || !IsUnit(types, ext.AdditionalSignedTypeId, 0))
                    {
                        throw new ChainException($"signed extension '{ext.Identifier}' carries data this client does not know how to fill");
                    }
                    break;
            }
        }
        return (extra.WrittenSpan.ToArray(), additional.WrittenSpan.ToArray());
    }

    /// <summary>The bytes the signer signs: call ++ extra ++ additional, blake2_256-hashed when over 256 bytes.</summary>
    public byte[] SigningMessage(ReadOnlySpan<byte> call, SigningParameters p)
    {
        (byte[] extra, byte[] additional) = EncodeExtensions(p);
        byte[] payload = [.. call, .. extra, .. additional];
        return payload.Length > 256 ? StorageHashing.Hash(StorageHasher.Blake2_256, payload) : payload;
    }

    /// <summary>Signs <paramref name="call"/> with <paramref name="signer"/> and assembles the extrinsic.</summary>
    public SignedExtrinsic Sign(ReadOnlySpan<byte> call, EthereumKeyPair signer, SigningParameters p)
    {
        (byte[] extra, byte[] additional) = EncodeExtensions(p);
        byte[] payload = [.. call, .. extra, .. additional];
        byte[] message = payload.Length > 256 ? StorageHashing.Hash(StorageHasher.Blake2_256, payload) : payload;
        byte[] signature = signer.Sign(message);

        var body = new ArrayBufferWriter<byte>(call.Length + 128);
        var w = new ScaleWriter(body);
        w.WriteU8((byte)(0x80 | _metadata.Extrinsic.Version));
        EncodeAddress(signer.Address, w);
        EncodeSignature(signature, w);
        w.WriteRaw(extra);
        w.WriteRaw(call);

        var full = new ArrayBufferWriter<byte>(body.WrittenCount + 5);
        var wf = new ScaleWriter(full);
        wf.WriteCompact((uint)body.WrittenCount);
        wf.WriteRaw(body.WrittenSpan);
        byte[] bytes = full.WrittenSpan.ToArray();
        return new SignedExtrinsic(bytes, StorageHashing.Hash(StorageHasher.Blake2_256, bytes), message, signer.Address, p.Nonce);
    }

    private void EncodeAddress(AccountId20 address, ScaleWriter w)
    {
        if (_addressType is not int t)
        {
            w.WriteRaw(address.Bytes);
            return;
        }
        PortableType type = _metadata.Types[t];
        ScaleValue value = type.Kind == TypeDefKind.Variant && type.VariantByName("Id") is not null
            ? ScaleValue.VariantOf("Id", ScaleValue.Bytes(address.Bytes))
            : ScaleValue.Bytes(address.Bytes);
        ScaleCodec.Encode(_metadata.Types, t, value, w);
    }

    private void EncodeSignature(byte[] signature65, ScaleWriter w)
    {
        if (_signatureType is not int t)
        {
            w.WriteRaw(signature65);
            return;
        }
        PortableType type = _metadata.Types[t];
        ScaleValue value = type.Kind == TypeDefKind.Variant && type.VariantByName("Ecdsa") is not null
            ? ScaleValue.VariantOf("Ecdsa", ScaleValue.Bytes(signature65))
            : ScaleValue.Bytes(signature65);
        ScaleCodec.Encode(_metadata.Types, t, value, w);
    }

    /// <summary>V15 names the address and signature types; V14 has them as generic parameters of the extrinsic type.</summary>
    private static (int? Address, int? Signature) ResolveAddressAndSignature(RuntimeMetadata m)
    {
        if (m.Extrinsic.AddressTypeId is int a && m.Extrinsic.SignatureTypeId is int s)
        {
            return (a, s);
        }
        if (m.Extrinsic.ExtrinsicTypeId is int x)
        {
            PortableType t = m.Types[x];
            int? address = t.Parameters.FirstOrDefault(p => p.Name == "Address")?.TypeId;
            int? signature = t.Parameters.FirstOrDefault(p => p.Name == "Signature")?.TypeId;
            return (address, signature);
        }
        return (null, null);
    }

    private static bool IsUnit(PortableRegistry types, int id, int depth)
    {
        if (depth > 8)
        {
            return false;
        }
        PortableType t = types[id];
        return t.Kind switch
        {
            TypeDefKind.Tuple => t.TupleTypeIds.All(x => IsUnit(types, x, depth + 1)),
            TypeDefKind.Composite => t.Fields.All(f => IsUnit(types, f.TypeId, depth + 1)),
            TypeDefKind.Array => t.ArrayLength == 0,
            _ => false,
        };
    }
}
