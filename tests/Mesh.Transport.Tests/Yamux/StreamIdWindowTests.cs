using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Yamux;

public sealed class StreamIdWindowTests
{
    [Fact]
    public void Accepts_each_id_once_in_any_order_within_the_window()
    {
        var window = new StreamIdWindow();
        Assert.True(window.TryMarkSeen(5));
        Assert.True(window.TryMarkSeen(1)); // go may send a later-assigned SYN first
        Assert.True(window.TryMarkSeen(3));
        Assert.False(window.TryMarkSeen(3));
        Assert.False(window.TryMarkSeen(5));
        Assert.True(window.TryMarkSeen(7));
    }

    [Fact]
    public void Ids_the_window_slid_past_are_fresh_and_ids_too_far_below_count_as_reused()
    {
        var window = new StreamIdWindow();
        Assert.True(window.TryMarkSeen(1));
        uint high = 1 + 2 * (StreamIdWindow.Span - 1);         // the oldest slot still distinguishable is id 1's
        Assert.True(window.TryMarkSeen(high));
        Assert.False(window.TryMarkSeen(1));
        Assert.True(window.TryMarkSeen(3));                      // never seen, still inside the window
        Assert.True(window.TryMarkSeen(high + 2));               // slides: id 1 now falls out
        Assert.False(window.TryMarkSeen(1));                     // too old to tell: treated as reuse
        Assert.False(window.TryMarkSeen(3));
    }

    [Fact]
    public void Large_jumps_clear_the_ring_and_all_slots_stay_consistent()
    {
        var window = new StreamIdWindow();
        var seen = new HashSet<uint>();
        var random = new Random(11);
        uint highest = 0;
        for (int i = 0; i < 20_000; i++)
        {
            uint id = random.Next(4) == 0
                ? highest + 2 * (uint)random.Next(1, 3 * StreamIdWindow.Span)          // jump ahead, sometimes past the window
                : Math.Max(1, highest) - 2 * (uint)random.Next(0, StreamIdWindow.Span); // revisit below the newest
            id |= 1;
            bool fresh = highest == 0 || id > highest || highest - id < 2u * StreamIdWindow.Span;
            bool expected = fresh && !seen.Contains(id);
            Assert.Equal(expected, window.TryMarkSeen(id));
            seen.Add(id);
            highest = Math.Max(highest, id);
        }
    }
}
