using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Datacake.Streams.Access;

/// <summary>A value found by a <see cref="TokenHash"/>: says whether it is stored under a given hash.</summary>
internal interface ITokenHashKeyed
{
    bool IsKeyedBy(TokenHash hash);
}

/// <summary>
/// Grants by token hash for the verification hot path: open addressing with 16-byte slots (the hash's first
/// 8 bytes as tag, the grant), so a lookup among a million tokens touches one slot and then the grant it needs
/// anyway. A <c>ConcurrentDictionary</c> also walks its bucket array and a node object: one more cache miss out of
/// three, ~60 ns of the ~190 ns fingerprint check here. The full hash is checked on the grant itself.
/// </summary>
/// <remarks>
/// Readers never lock and never see a torn entry: a slot's tag is published (release) after its grant, a grant is
/// replaced or cleared with one reference write, and growth fills a new array before publishing it. Writers must be
/// serialized by the caller (the registry view's write lock). A removed key leaves its tag with no grant: the slot
/// keeps probe chains intact and is reused by a later insert or dropped when the table is rebuilt.
/// </remarks>
internal sealed class TokenHashTable<T>
    where T : class, ITokenHashKeyed
{
    private const int MinCapacity = 64;

    private Slot[] _slots = new Slot[MinCapacity];
    private int _occupied;

    public int Count { get; private set; }

    public bool TryGetValue(TokenHash key, [NotNullWhen(true)] out T? value)
    {
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        var tag = Tag(key);
        for (var i = (int)tag & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            var slotTag = Volatile.Read(ref slot.Tag);
            if (slotTag == 0)
            {
                value = null;
                return false;
            }

            if (slotTag == tag)
            {
                var found = Volatile.Read(ref slot.Value);
                if (found is not null && found.IsKeyedBy(key))
                {
                    value = found;
                    return true;
                }
            }
        }
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing what was there. Writers only.</summary>
    public void Set(TokenHash key, T value)
    {
        if ((_occupied + 1) * 2 > _slots.Length)
        {
            Rebuild(Math.Max(MinCapacity, (int)BitOperationsCeiling((Count + 1) * 4)));
        }

        var slots = _slots;
        var mask = slots.Length - 1;
        var tag = Tag(key);
        var free = -1;
        var i = (int)tag & mask;
        for (; slots[i].Tag != 0; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Value is null)
            {
                // A removed key's slot is reused only once the whole chain shows the key is not stored further on.
                free = free < 0 ? i : free;
            }
            else if (slot.Tag == tag && slot.Value.IsKeyedBy(key))
            {
                Volatile.Write(ref slot.Value, value);
                return;
            }
        }

        // Grant before tag: a reader that sees the tag sees the grant. A reused slot may briefly pair the old tag
        // with the new grant; readers check the hash on the grant, so they skip it.
        if (free >= 0)
        {
            Volatile.Write(ref slots[free].Value, value);
            Volatile.Write(ref slots[free].Tag, tag);
        }
        else
        {
            slots[i].Value = value;
            Volatile.Write(ref slots[i].Tag, tag);
            _occupied++;
        }

        Count++;
    }

    /// <summary>Removes <paramref name="key"/> if it still maps to <paramref name="expected"/> (the same object). Writers only.</summary>
    public bool Remove(TokenHash key, T expected)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var tag = Tag(key);
        for (var i = (int)tag & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Tag == 0)
            {
                return false;
            }

            if (slot.Tag == tag && ReferenceEquals(slot.Value, expected) && expected.IsKeyedBy(key))
            {
                Volatile.Write(ref slot.Value, null);
                Count--;
                return true;
            }
        }
    }

    // Zero marks an empty slot; the lowest bit is given up so that no hash has tag zero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Tag(TokenHash key) => key.Prefix | 1;

    private static long BitOperationsCeiling(long value) => (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)value);

    private void Rebuild(int capacity)
    {
        var rebuilt = new Slot[capacity];
        var mask = capacity - 1;
        foreach (var slot in _slots)
        {
            if (slot.Value is null)
            {
                continue;
            }

            var i = (int)slot.Tag & mask;
            while (rebuilt[i].Tag != 0)
            {
                i = (i + 1) & mask;
            }

            rebuilt[i] = slot;
        }

        _occupied = Count;
        Volatile.Write(ref _slots, rebuilt);
    }

    private struct Slot
    {
        public ulong Tag;
        public T? Value;
    }
}
