namespace Mesh.Transport.Yamux;

/// <summary>
/// Remembers which inbound stream ids the peer has used, to reject a SYN that reuses one (an id is used once per
/// session). Ids need not arrive in order (go assigns ids under a lock but sends SYNs outside it), so this keeps a
/// bitmap of the <see cref="Span"/> ids just below the highest seen; a SYN further below than that is treated as reuse.
/// Peer ids share one parity, so id / 2 indexes the ring. Owned by the read loop.
/// </summary>
internal struct StreamIdWindow
{
    /// <summary>How many ids (of the peer's parity) below the newest one stay distinguishable.</summary>
    public const int Span = 4096;

    private const int Words = Span / 64;

    private readonly ulong[] _bits;
    private uint _highestSlot;
    private bool _any;

    public StreamIdWindow()
    {
        _bits = new ulong[Words];
        _highestSlot = 0;
        _any = false;
    }

    /// <summary>Marks <paramref name="streamId"/> as used; false if it was already used (or is too old to tell).</summary>
    public bool TryMarkSeen(uint streamId)
    {
        uint slot = streamId >> 1;
        if (!_any || slot > _highestSlot)
        {
            if (!_any || slot - _highestSlot >= Span)
            {
                Array.Clear(_bits);
            }
            else
            {
                ClearRange(_highestSlot + 1, slot - _highestSlot); // the slots the window slides over become unseen
            }
            _any = true;
            _highestSlot = slot;
            Set(slot);
            return true;
        }
        if (_highestSlot - slot >= Span)
        {
            return false;
        }
        ref ulong word = ref _bits[(int)(slot % Span) >> 6];
        ulong mask = 1UL << (int)(slot & 63);
        if ((word & mask) != 0)
        {
            return false;
        }
        word |= mask;
        return true;
    }

    private void Set(uint slot) => _bits[(int)(slot % Span) >> 6] |= 1UL << (int)(slot & 63);

    /// <summary>Clears <paramref name="count"/> (&lt; Span) consecutive slots of the ring starting at <paramref name="first"/>, a word at a time.</summary>
    private void ClearRange(uint first, uint count)
    {
        uint position = first % Span;
        while (count > 0)
        {
            int bit = (int)(position & 63);
            int take = (int)Math.Min(count, 64u - (uint)bit);
            ulong mask = take == 64 ? ulong.MaxValue : ((1UL << take) - 1) << bit;
            _bits[position >> 6] &= ~mask;
            count -= (uint)take;
            position = (position + (uint)take) % Span;
        }
    }
}
