using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;

namespace Mesh.Node.Chain;

/// <summary>When in the block an event was emitted (<c>frame_system::Phase</c>).</summary>
public enum EventPhase : byte
{
    ApplyExtrinsic = 0,
    Finalization = 1,
    Initialization = 2,
}

/// <summary>A decoded <c>System.Events</c> record: pallet and variant names from metadata, the fields as values.</summary>
public sealed record ChainEvent(EventPhase Phase, uint? ExtrinsicIndex, string Pallet, string Name, ScaleValue Fields)
{
    public bool Is(string pallet, string name) => Pallet == pallet && Name == name;

    /// <summary>A field by name (<c>subnet_id</c>, <c>account_id</c>, …).</summary>
    public ScaleValue this[string field] => Fields[field];

    public override string ToString() =>
        $"{Pallet}.{Name}{Fields} @{Phase}{(ExtrinsicIndex is uint i ? "(" + i + ")" : "")}";
}

/// <summary>A dispatch error resolved against metadata: for a module error the pallet's error name and docs.</summary>
public sealed record DispatchErrorInfo(string Pallet, string Error, string Docs)
{
    public override string ToString() => $"{Pallet}.{Error}{(Docs.Length == 0 ? "" : ": " + Docs)}";
}

/// <summary>Decodes <c>System.Events</c> and dispatch errors from metadata.</summary>
public static class ChainEvents
{
    /// <summary>Decodes the SCALE bytes of <c>System.Events</c> (a <c>Vec&lt;EventRecord&gt;</c>).</summary>
    public static IReadOnlyList<ChainEvent> Decode(RuntimeMetadata metadata, ReadOnlySpan<byte> eventsStorage)
    {
        StorageEntryMetadata entry = metadata.Storage("System", "Events");
        ScaleValue records = ScaleCodec.Decode(metadata.Types, entry.ValueTypeId, eventsStorage);
        var result = new List<ChainEvent>(records.Items.Count);
        foreach (ScaleValue record in records.Items)
        {
            ScaleValue phase = record["phase"];
            EventPhase kind = phase.VariantName switch
            {
                "ApplyExtrinsic" => EventPhase.ApplyExtrinsic,
                "Finalization" => EventPhase.Finalization,
                "Initialization" => EventPhase.Initialization,
                _ => ChainThrow.Decode<EventPhase>($"unknown event phase {phase.VariantName}"),
            };
            uint? index = kind == EventPhase.ApplyExtrinsic ? phase[0].AsU32() : null;
            ScaleValue outer = record["event"]; // RuntimeEvent::<Pallet>(pallet event)
            ScaleValue inner = outer[0];
            result.Add(new ChainEvent(kind, index, outer.VariantName ?? "?", inner.VariantName ?? "?", inner));
        }
        return result;
    }

    /// <summary>
    /// Resolves a <c>sp_runtime::DispatchError</c> value: <c>Module { index, error: [u8; 4] }</c> becomes the pallet's
    /// error variant (name and docs from metadata); the other variants become their own name, with their inner
    /// variant when they have one (<c>Token.FundsUnavailable</c>, <c>Arithmetic.Overflow</c>).
    /// </summary>
    public static DispatchErrorInfo ResolveDispatchError(RuntimeMetadata metadata, ScaleValue dispatchError)
    {
        string name = dispatchError.VariantName ?? "?";
        if (name == "Module")
        {
            ScaleValue module = dispatchError[0];
            byte palletIndex = module["index"].AsU8();
            byte[] error = module["error"].Kind == ScaleValueKind.Bytes ? module["error"].AsBytes() : [module["error"].AsU8()];
            PalletMetadata? pallet = metadata.FindPallet(palletIndex);
            if (pallet?.ErrorTypeId is int errorType && error.Length > 0)
            {
                TypeVariant? v = metadata.Types[errorType].VariantByIndex(error[0]);
                if (v is not null)
                {
                    return new DispatchErrorInfo(pallet.Name, v.Name, string.Join(' ', v.Docs.Select(d => d.Trim())).Trim());
                }
            }
            return new DispatchErrorInfo(pallet?.Name ?? $"pallet#{palletIndex}", $"error#{(error.Length > 0 ? error[0] : 0)}", "");
        }
        if (dispatchError.Kind == ScaleValueKind.Variant && dispatchError.Fields.Count == 1
            && dispatchError[0].Kind == ScaleValueKind.Variant)
        {
            return new DispatchErrorInfo("DispatchError", name + "." + dispatchError[0].VariantName, "");
        }
        return new DispatchErrorInfo("DispatchError", name, "");
    }
}
