using System.Diagnostics.CodeAnalysis;

namespace Mesh.Kademlia.Storage;

/// <summary>
/// A hash map with one writer and any number of lock-free readers. Chains are made of immutable nodes; the writer
/// never changes a node that a reader may hold, it publishes a new chain head (copying only the nodes in front of
/// the changed one) or, to grow, a whole new bucket array, each with <see cref="Volatile.Write{T}(ref T, T)"/>. A
/// reader takes the bucket array once and sees, for every key, either the state before or after each write, never a
/// half-made one. Callers serialise writers themselves (<see cref="DhtLocalStorage"/> holds its writer lock).
/// </summary>
/// <remarks>Hash codes come from <see cref="HashCode"/>-based <c>GetHashCode</c> (per-process random seed), so
/// peers that choose keys (DHT keys are hashes of attacker-chosen input) cannot aim them at one chain.</remarks>
internal sealed class SnapshotHashMap<TKey, TValue>
    where TKey : struct, IEquatable<TKey>
    where TValue : class
{
    private sealed class Node(TKey key, TValue value, int hash, Node? next)
    {
        public readonly TKey Key = key;
        public readonly TValue Value = value;
        public readonly int Hash = hash;
        public readonly Node? Next = next;
    }

    private Node?[] _buckets = new Node?[16];
    private int _count;

    /// <summary>Entries held. Exact for the writer; a recent value for readers.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryGetValue(in TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        Node?[] buckets = Volatile.Read(ref _buckets);
        int hash = key.GetHashCode();
        for (Node? n = Volatile.Read(ref buckets[hash & (buckets.Length - 1)]); n is not null; n = n.Next)
        {
            if (n.Hash == hash && n.Key.Equals(key))
            {
                value = n.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Inserts or replaces. Writer only.</summary>
    public void Set(in TKey key, TValue value)
    {
        Node?[] buckets = _buckets;
        int hash = key.GetHashCode();
        ref Node? head = ref buckets[hash & (buckets.Length - 1)];
        Node? rebuilt = Rebuild(head, key, hash, replacement: value, out bool found);
        if (found)
        {
            Volatile.Write(ref head, rebuilt);
            return;
        }
        Volatile.Write(ref head, new Node(key, value, hash, head));
        Volatile.Write(ref _count, _count + 1);
        if (_count > buckets.Length)
        {
            Grow();
        }
    }

    /// <summary>Removes the key if present. Writer only.</summary>
    public bool Remove(in TKey key)
    {
        Node?[] buckets = _buckets;
        int hash = key.GetHashCode();
        ref Node? head = ref buckets[hash & (buckets.Length - 1)];
        Node? rebuilt = Rebuild(head, key, hash, replacement: null, out bool found);
        if (!found)
        {
            return false;
        }
        Volatile.Write(ref head, rebuilt);
        Volatile.Write(ref _count, _count - 1);
        return true;
    }

    /// <summary>
    /// The chain with <paramref name="key"/>'s node replaced (or dropped when <paramref name="replacement"/> is null):
    /// nodes in front of it are copied, the tail behind it is shared.
    /// </summary>
    private static Node? Rebuild(Node? head, in TKey key, int hash, TValue? replacement, out bool found)
    {
        if (head is null)
        {
            found = false;
            return null;
        }
        if (head.Hash == hash && head.Key.Equals(key))
        {
            found = true;
            return replacement is null ? head.Next : new Node(key, replacement, hash, head.Next);
        }
        Node? rest = Rebuild(head.Next, key, hash, replacement, out found);
        return found ? new Node(head.Key, head.Value, head.Hash, rest) : head;
    }

    private void Grow()
    {
        Node?[] old = _buckets;
        var grown = new Node?[old.Length * 2];
        int mask = grown.Length - 1;
        foreach (Node? chain in old)
        {
            for (Node? n = chain; n is not null; n = n.Next)
            {
                ref Node? slot = ref grown[n.Hash & mask];
                slot = new Node(n.Key, n.Value, n.Hash, slot);
            }
        }
        Volatile.Write(ref _buckets, grown);
    }

    /// <summary>A weakly consistent walk over the entries (any thread): each entry is seen in some published state.</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> Enumerate()
    {
        Node?[] buckets = Volatile.Read(ref _buckets);
        for (int i = 0; i < buckets.Length; i++)
        {
            for (Node? n = Volatile.Read(ref buckets[i]); n is not null; n = n.Next)
            {
                yield return new KeyValuePair<TKey, TValue>(n.Key, n.Value);
            }
        }
    }
}
