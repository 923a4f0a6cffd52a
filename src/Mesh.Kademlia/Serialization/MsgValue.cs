using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// A dynamically typed msgpack value as hivemind/mesh's <c>MSGPackSerializer</c> sees it (mesh-reference §3): the
/// result of <c>loads</c> and the input of <c>dumps</c>. A small tagged struct (one reference, one 64-bit payload, a
/// kind): scalars cost no allocation, containers hold an array that is never mutated after construction.
/// </summary>
/// <remarks>
/// <para><c>default(MsgValue)</c> is nil.</para>
/// <para>Equality is structural and exact: floats compare by bit pattern (so NaN equals NaN and -0.0 differs from
/// 0.0), str and bytes are different kinds, and an int never equals a float or a bool. Python's <c>1 == 1.0 ==
/// True</c> is deliberately not reproduced: the DHT identifies subkeys by their canonical msgpack bytes, and this
/// equality agrees with that.</para>
/// <para>Binary payloads reference their bytes without copying (<see cref="FromBytes(ReadOnlyMemory{byte})"/> keeps
/// array-backed memory as is); the decoder copies unless told it may alias its input.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public readonly struct MsgValue : IEquatable<MsgValue>
{
    // Binary: byte[]; String: string; Array/Tuple: MsgValue[]; Map: MsgMapEntry[]; Extension: MsgExtension;
    // Dictionary: DictionaryDhtValue.
    private readonly object? _ref;

    // Bool: 0/1; Integer: the value (two's complement long, or the ulong bit pattern when _unsigned);
    // Float: the IEEE-754 bits; Binary: (offset << 32) | length.
    private readonly long _bits;
    private readonly MsgKind _kind;

    // Integer only: the value is above long.MaxValue and _bits holds it as a ulong.
    private readonly bool _unsigned;

    private MsgValue(MsgKind kind, long bits, object? reference, bool unsigned = false)
    {
        _kind = kind;
        _bits = bits;
        _ref = reference;
        _unsigned = unsigned;
    }

    public MsgKind Kind => _kind;

    public bool IsNil => _kind == MsgKind.Nil;

    public static MsgValue Nil => default;

    public static MsgValue True { get; } = new(MsgKind.Bool, 1, null);

    public static MsgValue False { get; } = new(MsgKind.Bool, 0, null);

    // ---- construction --------------------------------------------------------------------------------------------

    public static MsgValue FromBoolean(bool value) => value ? True : False;

    public static MsgValue FromInt64(long value) => new(MsgKind.Integer, value, null);

    public static MsgValue FromUInt64(ulong value) =>
        value <= long.MaxValue ? new(MsgKind.Integer, (long)value, null) : new(MsgKind.Integer, unchecked((long)value), null, unsigned: true);

    public static MsgValue FromDouble(double value) => new(MsgKind.Float, BitConverter.DoubleToInt64Bits(value), null);

    public static MsgValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(MsgKind.String, 0, value);
    }

    /// <summary>A bytes value. Array-backed memory is referenced, not copied: do not mutate it afterwards.</summary>
    public static MsgValue FromBytes(ReadOnlyMemory<byte> value)
    {
        if (MemoryMarshal.TryGetArray(value, out ArraySegment<byte> segment))
        {
            return CreateBinary(segment.Array!, segment.Offset, segment.Count);
        }
        return CreateBinary(value.ToArray(), 0, value.Length);
    }

    /// <summary>A bytes value referencing <paramref name="value"/> (not copied).</summary>
    public static MsgValue FromBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return CreateBinary(value, 0, value.Length);
    }

    /// <summary>A list (msgpack array). The items are copied.</summary>
    public static MsgValue Array(params ReadOnlySpan<MsgValue> items) => new(MsgKind.Array, 0, items.ToArray());

    /// <summary>A tuple (msgpack ext 0x40 around the array of its items). The items are copied.</summary>
    public static MsgValue Tuple(params ReadOnlySpan<MsgValue> items) => new(MsgKind.Tuple, 0, items.ToArray());

    /// <summary>A dict (msgpack map), in the given order. The entries are copied; keys are not de-duplicated.</summary>
    public static MsgValue Map(params ReadOnlySpan<MsgMapEntry> entries) => new(MsgKind.Map, 0, entries.ToArray());

    public static MsgValue Extension(sbyte typeCode, ReadOnlyMemory<byte> data) =>
        new(MsgKind.Extension, 0, new MsgExtension(typeCode, data));

    public static MsgValue FromExtension(MsgExtension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        return new(MsgKind.Extension, 0, extension);
    }

    public static MsgValue FromDictionary(DictionaryDhtValue dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        return new(MsgKind.Dictionary, 0, dictionary);
    }

    public static implicit operator MsgValue(bool value) => FromBoolean(value);

    public static implicit operator MsgValue(int value) => FromInt64(value);

    public static implicit operator MsgValue(long value) => FromInt64(value);

    public static implicit operator MsgValue(ulong value) => FromUInt64(value);

    public static implicit operator MsgValue(double value) => FromDouble(value);

    public static implicit operator MsgValue(string value) => FromString(value);

    public static implicit operator MsgValue(byte[] value) => FromBytes(value);

    internal static MsgValue CreateBinary(byte[] array, int offset, int length) =>
        new(MsgKind.Binary, ((long)offset << 32) | (uint)length, array);

    internal static MsgValue CreateArrayNoCopy(MsgValue[] items) => new(MsgKind.Array, 0, items);

    internal static MsgValue CreateTupleNoCopy(MsgValue[] items) => new(MsgKind.Tuple, 0, items);

    internal static MsgValue CreateMapNoCopy(MsgMapEntry[] entries) => new(MsgKind.Map, 0, entries);

    // ---- access --------------------------------------------------------------------------------------------------

    public bool AsBoolean()
    {
        Require(MsgKind.Bool);
        return _bits != 0;
    }

    /// <summary>The integer as a long; false for other kinds and for integers above <see cref="long.MaxValue"/>.</summary>
    public bool TryGetInt64(out long value)
    {
        value = _bits;
        return _kind == MsgKind.Integer && !_unsigned;
    }

    /// <summary>The integer as a ulong; false for other kinds and for negative integers.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        value = unchecked((ulong)_bits);
        return _kind == MsgKind.Integer && (_unsigned || _bits >= 0);
    }

    public long AsInt64()
    {
        Require(MsgKind.Integer);
        if (_unsigned)
        {
            throw new OverflowException("The integer is above Int64.MaxValue.");
        }
        return _bits;
    }

    /// <summary>True for an integer above <see cref="long.MaxValue"/> (encoded as uint64).</summary>
    internal bool IsLargeUnsigned => _unsigned;

    internal long RawBits => _bits;

    public double AsDouble()
    {
        Require(MsgKind.Float);
        return BitConverter.Int64BitsToDouble(_bits);
    }

    /// <summary>An int or a float as a double (ints above 2^53 lose precision), as Python compares them.</summary>
    public bool TryGetNumber(out double value)
    {
        switch (_kind)
        {
            case MsgKind.Float:
                value = BitConverter.Int64BitsToDouble(_bits);
                return true;
            case MsgKind.Integer:
                value = _unsigned ? unchecked((ulong)_bits) : _bits;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    public string AsString()
    {
        Require(MsgKind.String);
        return (string)_ref!;
    }

    public ReadOnlyMemory<byte> AsMemory()
    {
        Require(MsgKind.Binary);
        return new ReadOnlyMemory<byte>((byte[])_ref!, (int)(_bits >> 32), (int)(uint)_bits);
    }

    public ReadOnlySpan<byte> AsSpan()
    {
        Require(MsgKind.Binary);
        return new ReadOnlySpan<byte>((byte[])_ref!, (int)(_bits >> 32), (int)(uint)_bits);
    }

    /// <summary>The items of a list or a tuple.</summary>
    public ImmutableArray<MsgValue> AsItems()
    {
        if (_kind is not (MsgKind.Array or MsgKind.Tuple))
        {
            ThrowWrongKind(MsgKind.Array);
        }
        return ImmutableCollectionsMarshal.AsImmutableArray((MsgValue[])_ref!);
    }

    internal ReadOnlySpan<MsgValue> ItemsSpan => (MsgValue[])_ref!;

    internal MsgValue[] ItemsArray => (MsgValue[])_ref!;

    internal ReadOnlySpan<MsgMapEntry> EntriesSpan => (MsgMapEntry[])_ref!;

    public ImmutableArray<MsgMapEntry> AsMap()
    {
        Require(MsgKind.Map);
        return ImmutableCollectionsMarshal.AsImmutableArray((MsgMapEntry[])_ref!);
    }

    /// <summary>Looks a str key up in a map (linear; maps decoded from the wire have unique keys).</summary>
    public bool TryGetMapValue(string key, out MsgValue value)
    {
        Require(MsgKind.Map);
        foreach (MsgMapEntry e in (MsgMapEntry[])_ref!)
        {
            if (e.Key._kind == MsgKind.String && string.Equals((string)e.Key._ref!, key, StringComparison.Ordinal))
            {
                value = e.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    public MsgExtension AsExtension()
    {
        Require(MsgKind.Extension);
        return (MsgExtension)_ref!;
    }

    public DictionaryDhtValue AsDictionary()
    {
        Require(MsgKind.Dictionary);
        return (DictionaryDhtValue)_ref!;
    }

    /// <summary>Number of items (list, tuple), entries (map) or subkeys (dictionary); bytes for str/bytes is not it.</summary>
    public int Count => _kind switch
    {
        MsgKind.Array or MsgKind.Tuple => ((MsgValue[])_ref!).Length,
        MsgKind.Map => ((MsgMapEntry[])_ref!).Length,
        MsgKind.Dictionary => ((DictionaryDhtValue)_ref!).Count,
        _ => throw new InvalidOperationException($"A {_kind} value has no item count."),
    };

    private void Require(MsgKind kind)
    {
        if (_kind != kind)
        {
            ThrowWrongKind(kind);
        }
    }

    private void ThrowWrongKind(MsgKind expected) =>
        throw new InvalidOperationException($"The msgpack value is a {_kind}, not a {expected}.");

    // ---- equality ------------------------------------------------------------------------------------------------

    public bool Equals(MsgValue other)
    {
        if (_kind != other._kind)
        {
            return false;
        }
        switch (_kind)
        {
            case MsgKind.Nil:
                return true;
            case MsgKind.Bool:
            case MsgKind.Float:
                return _bits == other._bits;
            case MsgKind.Integer:
                return _bits == other._bits && _unsigned == other._unsigned;
            case MsgKind.String:
                return string.Equals((string)_ref!, (string)other._ref!, StringComparison.Ordinal);
            case MsgKind.Binary:
                return AsSpan().SequenceEqual(other.AsSpan());
            case MsgKind.Array:
            case MsgKind.Tuple:
                return ItemsSpan.SequenceEqual(other.ItemsSpan);
            case MsgKind.Map:
                return EntriesSpan.SequenceEqual(other.EntriesSpan);
            case MsgKind.Extension:
                return ((MsgExtension)_ref!).Equals((MsgExtension)other._ref!);
            case MsgKind.Dictionary:
                return ((DictionaryDhtValue)_ref!).Equals((DictionaryDhtValue)other._ref!);
            default:
                return false;
        }
    }

    public override bool Equals(object? obj) => obj is MsgValue other && Equals(other);

    public override int GetHashCode()
    {
        switch (_kind)
        {
            case MsgKind.Nil:
                return 0;
            case MsgKind.Bool:
            case MsgKind.Integer:
            case MsgKind.Float:
                return HashCode.Combine(_kind, _bits, _unsigned);
            case MsgKind.String:
                return HashCode.Combine(_kind, string.GetHashCode((string)_ref!, StringComparison.Ordinal));
            case MsgKind.Binary:
            {
                var h = new HashCode();
                h.Add(_kind);
                h.AddBytes(AsSpan());
                return h.ToHashCode();
            }
            case MsgKind.Array:
            case MsgKind.Tuple:
            {
                var h = new HashCode();
                h.Add(_kind);
                foreach (MsgValue item in ItemsSpan)
                {
                    h.Add(item);
                }
                return h.ToHashCode();
            }
            case MsgKind.Map:
            {
                var h = new HashCode();
                h.Add(_kind);
                foreach (MsgMapEntry e in EntriesSpan)
                {
                    h.Add(e.Key);
                    h.Add(e.Value);
                }
                return h.ToHashCode();
            }
            default:
                return HashCode.Combine(_kind, _ref);
        }
    }

    public static bool operator ==(MsgValue left, MsgValue right) => left.Equals(right);

    public static bool operator !=(MsgValue left, MsgValue right) => !left.Equals(right);

    // ---- display -------------------------------------------------------------------------------------------------

    /// <summary>A Python-repr-like rendering, for logs and test output.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, 0);
        return sb.ToString();
    }

    internal void Append(StringBuilder sb, int depth)
    {
        if (depth > 32)
        {
            sb.Append("...");
            return;
        }
        switch (_kind)
        {
            case MsgKind.Nil:
                sb.Append("None");
                break;
            case MsgKind.Bool:
                sb.Append(_bits != 0 ? "True" : "False");
                break;
            case MsgKind.Integer:
                sb.Append(_unsigned ? unchecked((ulong)_bits).ToString(CultureInfo.InvariantCulture) : _bits.ToString(CultureInfo.InvariantCulture));
                break;
            case MsgKind.Float:
                sb.Append(AsDouble().ToString("R", CultureInfo.InvariantCulture));
                break;
            case MsgKind.String:
                sb.Append('\'').Append((string)_ref!).Append('\'');
                break;
            case MsgKind.Binary:
                sb.Append(FormatBytes(AsSpan()));
                break;
            case MsgKind.Array:
            case MsgKind.Tuple:
            {
                ReadOnlySpan<MsgValue> items = ItemsSpan;
                sb.Append(_kind == MsgKind.Array ? '[' : '(');
                for (int i = 0; i < items.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    items[i].Append(sb, depth + 1);
                }
                if (_kind == MsgKind.Tuple && items.Length == 1)
                {
                    sb.Append(',');
                }
                sb.Append(_kind == MsgKind.Array ? ']' : ')');
                break;
            }
            case MsgKind.Map:
            {
                ReadOnlySpan<MsgMapEntry> entries = EntriesSpan;
                sb.Append('{');
                for (int i = 0; i < entries.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    entries[i].Key.Append(sb, depth + 1);
                    sb.Append(": ");
                    entries[i].Value.Append(sb, depth + 1);
                }
                sb.Append('}');
                break;
            }
            default:
                sb.Append(_ref);
                break;
        }
    }

    internal static string FormatBytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 3);
        sb.Append("b'");
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7f && b != (byte)'\'' && b != (byte)'\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }
        sb.Append('\'');
        return sb.ToString();
    }
}
