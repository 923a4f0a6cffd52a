namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh's <c>DHTRecordRequestType</c>: why a record is being validated (mesh-reference §2). POST: a local store or an
/// incoming <c>rpc_store</c>. GET: a value returned by <c>call_find</c>, including every subkey of a dictionary.
/// </summary>
public enum DhtRecordRequestType
{
    Get,
    Post,
}
