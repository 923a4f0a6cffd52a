using System.Security.Cryptography;

namespace Mesh.Transport.Identity;

/// <summary>
/// Identity files as the Python mesh, its keygen and p2pd read and write them (mesh-reference §5): the file is the
/// serialized libp2p <c>PrivateKey</c> protobuf, nothing else. RSA files hold PKCS#1 DER (the repository's
/// <c>*.id</c> files); Ed25519 files hold seed‖public (64 bytes, keygen), and the bare 32-byte seed written by
/// <c>P2P.generate_ed25519_identity</c> and the legacy 96-byte layout are read too.
/// </summary>
/// <remarks>
/// Writes are atomic (a temporary file in the same directory, flushed to disk, then renamed over the target) and, on
/// Unix, the file is created with mode 0600 so the key is never readable by others, not even briefly. Reads are
/// bounded by <see cref="MaxFileLength"/> and zero their buffer afterwards.
/// </remarks>
public static class IdentityFile
{
    /// <summary>
    /// The largest file accepted: a 16384-bit RSA PKCS#1 key is about 9.4 KB, so anything beyond this is not an
    /// identity file.
    /// </summary>
    public const int MaxFileLength = 16 * 1024;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Loads the private key stored at <paramref name="path"/>.</summary>
    /// <exception cref="IdentityFileException">The file is empty, too large, truncated, or not a valid key.</exception>
    /// <exception cref="IOException">The file cannot be read (missing, permissions, …).</exception>
    public static PrivateKey Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] contents;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        {
            long length = stream.Length;
            if (length > MaxFileLength)
            {
                throw new IdentityFileException(path, IdentityFileError.TooLarge,
                    $"{length} bytes is larger than any identity file ({MaxFileLength} bytes at most)");
            }
            contents = new byte[length];
            stream.ReadExactly(contents);
        }
        try
        {
            return Parse(contents, path);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
        }
    }

    /// <summary>Decodes identity file contents already in memory.</summary>
    /// <param name="contents">The whole file.</param>
    /// <param name="path">What to call the source in error messages.</param>
    /// <exception cref="IdentityFileException">The contents are empty, too large, truncated, or not a valid key.</exception>
    public static PrivateKey Parse(ReadOnlySpan<byte> contents, string path = "<memory>")
    {
        if (contents.IsEmpty)
        {
            throw new IdentityFileException(path, IdentityFileError.Empty, "the file is empty");
        }
        if (contents.Length > MaxFileLength)
        {
            throw new IdentityFileException(path, IdentityFileError.TooLarge,
                $"{contents.Length} bytes is larger than any identity file ({MaxFileLength} bytes at most)");
        }
        try
        {
            return PrivateKey.FromProtobuf(contents);
        }
        catch (KeyFormatException ex)
        {
            IdentityFileError error = ex.Error switch
            {
                KeyFormatError.Truncated => IdentityFileError.Truncated,
                KeyFormatError.NonCanonicalProtobuf => IdentityFileError.NotAKeyProtobuf,
                KeyFormatError.UnknownKeyType => IdentityFileError.UnknownKeyType,
                _ => IdentityFileError.InvalidKey,
            };
            throw new IdentityFileException(path, error, ex.Message, ex);
        }
    }

    /// <summary>
    /// Writes <paramref name="key"/> to <paramref name="path"/> atomically (replacing any existing file), mode 0600 on
    /// Unix.
    /// </summary>
    public static void Write(string path, PrivateKey key)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(key);
        WriteAtomically(path, key, overwrite: true);
    }

    /// <summary>
    /// Loads the key at <paramref name="path"/>, or, when no file exists there, generates a key of
    /// <paramref name="typeIfMissing"/>, stores it and returns it (mesh's <c>P2P.create</c> does the same with RSA).
    /// If another process creates the file at the same moment, its key wins and is returned.
    /// </summary>
    public static PrivateKey ReadOrCreate(string path, KeyType typeIfMissing = KeyType.Ed25519)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return Read(path);
        }
        PrivateKey key = PrivateKey.Generate(typeIfMissing);
        try
        {
            WriteAtomically(path, key, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Read(path);
        }
    }

    private static void WriteAtomically(string path, PrivateKey key, bool overwrite)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        byte[] contents = key.ToProtobuf();
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerReadWrite;
            }
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
            {
                // The create mode is filtered by the umask; set it explicitly so the result does not depend on it.
                File.SetUnixFileMode(temporary, OwnerReadWrite);
            }
            File.Move(temporary, fullPath, overwrite);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
