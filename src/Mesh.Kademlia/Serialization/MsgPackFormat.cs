namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Encoded sizes of msgpack headers, chosen exactly as msgpack-python's packer chooses them (the smallest form;
/// fixext when an extension payload is 1, 2, 4, 8 or 16 bytes). Spec: https://github.com/msgpack/msgpack/blob/master/spec.md
/// </summary>
internal static class MsgPackFormat
{
    public const int Float64Length = 9;

    public static int IntegerLength(long value) => value switch
    {
        >= 0 and <= 0x7f => 1,
        >= -32 and < 0 => 1,
        >= 0 and <= byte.MaxValue => 2,
        >= sbyte.MinValue and < 0 => 2,
        >= 0 and <= ushort.MaxValue => 3,
        >= short.MinValue and < 0 => 3,
        >= 0 and <= uint.MaxValue => 5,
        >= int.MinValue and < 0 => 5,
        _ => 9,
    };

    public static int StringHeaderLength(int byteCount) => byteCount switch
    {
        <= 31 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    public static int BinaryHeaderLength(int byteCount) => byteCount switch
    {
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    /// <summary>Array and map headers share the same size classes (fix: up to 15 entries).</summary>
    public static int CollectionHeaderLength(int count) => count switch
    {
        <= 15 => 1,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    public static int ExtensionHeaderLength(int payloadLength) => payloadLength switch
    {
        1 or 2 or 4 or 8 or 16 => 2,
        <= byte.MaxValue => 3,
        <= ushort.MaxValue => 4,
        _ => 6,
    };

    public static int BinaryLength(int byteCount) => BinaryHeaderLength(byteCount) + byteCount;

    /// <summary>
    /// The header of the value starting with <paramref name="code"/>: its size and what follows it. Returns false for
    /// 0xc1 (never used). <paramref name="lengthBytes"/> says how many big-endian length bytes follow the code; when it
    /// is 0, <paramref name="fixedPayload"/> is the length carried by the code itself (payload bytes for scalars,
    /// str, fixext; element count for fixarray/fixmap).
    /// </summary>
    public static bool TryDescribe(byte code, out HeaderShape shape, out int lengthBytes, out int fixedPayload)
    {
        lengthBytes = 0;
        fixedPayload = 0;
        switch (code)
        {
            case <= 0x7f:
            case >= 0xe0:
            case 0xc0 or 0xc2 or 0xc3:
                shape = HeaderShape.Scalar;
                return true;
            case <= 0x8f:
                shape = HeaderShape.Map;
                fixedPayload = code & 0x0f;
                return true;
            case <= 0x9f:
                shape = HeaderShape.Array;
                fixedPayload = code & 0x0f;
                return true;
            case <= 0xbf:
                shape = HeaderShape.String;
                fixedPayload = code & 0x1f;
                return true;
            case 0xc4 or 0xc5 or 0xc6:
                shape = HeaderShape.Binary;
                lengthBytes = 1 << (code - 0xc4);
                return true;
            case 0xc7 or 0xc8 or 0xc9:
                shape = HeaderShape.Extension;
                lengthBytes = 1 << (code - 0xc7);
                return true;
            case 0xca:
                shape = HeaderShape.Scalar;
                fixedPayload = 4;
                return true;
            case 0xcb:
                shape = HeaderShape.Scalar;
                fixedPayload = 8;
                return true;
            case >= 0xcc and <= 0xcf:
                shape = HeaderShape.Scalar;
                fixedPayload = 1 << (code - 0xcc);
                return true;
            case >= 0xd0 and <= 0xd3:
                shape = HeaderShape.Scalar;
                fixedPayload = 1 << (code - 0xd0);
                return true;
            case >= 0xd4 and <= 0xd8:
                shape = HeaderShape.Extension;
                fixedPayload = 1 << (code - 0xd4);
                return true;
            case 0xd9 or 0xda or 0xdb:
                shape = HeaderShape.String;
                lengthBytes = 1 << (code - 0xd9);
                return true;
            case 0xdc or 0xdd:
                shape = HeaderShape.Array;
                lengthBytes = code == 0xdc ? 2 : 4;
                return true;
            case 0xde or 0xdf:
                shape = HeaderShape.Map;
                lengthBytes = code == 0xde ? 2 : 4;
                return true;
            default: // 0xc1
                shape = default;
                return false;
        }
    }
}

internal enum HeaderShape : byte
{
    Scalar,
    String,
    Binary,
    Extension,
    Array,
    Map,
}
