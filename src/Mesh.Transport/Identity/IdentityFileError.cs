namespace Mesh.Transport.Identity;

/// <summary>Why an identity file could not be loaded (<see cref="IdentityFileException"/>).</summary>
public enum IdentityFileError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The file is empty.</summary>
    Empty,

    /// <summary>The file is larger than any identity file can be (<see cref="IdentityFile.MaxFileLength"/>).</summary>
    TooLarge,

    /// <summary>The file ends inside the <c>PrivateKey</c> protobuf or inside the key it holds.</summary>
    Truncated,

    /// <summary>The file is not a <c>PrivateKey</c> protobuf in the deterministic form (fields out of order, extra bytes).</summary>
    NotAKeyProtobuf,

    /// <summary>The protobuf names a key type this library does not know.</summary>
    UnknownKeyType,

    /// <summary>The key inside is malformed (bad length, bad DER, inconsistent halves, out-of-range values).</summary>
    InvalidKey,
}
