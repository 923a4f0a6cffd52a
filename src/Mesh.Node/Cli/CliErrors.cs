using System.Net.Sockets;
using Mesh.Multistream;
using Mesh.Node.Chain;
using Mesh.Transport.Identity;

namespace Mesh.Node.Cli;

/// <summary>A command line that is wrong in a way the parser cannot see: conflicting flags, a value out of range.</summary>
public sealed class CliUsageException(string message) : MeshProtocolException(message);

/// <summary>An operation that failed for a reason the operator can act on, worded for the command line (exit 1).</summary>
public sealed class CliFailureException(string message, Exception? innerException = null) : MeshProtocolException(message, innerException);

/// <summary>
/// Turns the failures a verb can meet into one line an operator can act on (<c>mesh VERB: what went wrong</c>), with
/// the exit code of <see cref="CliExit"/>. Bugs (anything not listed here) are not swallowed: they keep their stack
/// trace.
/// </summary>
internal static class CliErrors
{
    public static bool IsUserFacing(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => cancellationToken.IsCancellationRequested,
        MeshProtocolException or IOException or UnauthorizedAccessException or SocketException => true,
        AggregateException { InnerExceptions.Count: 1 } agg => IsUserFacing(agg.InnerExceptions[0], cancellationToken),
        _ => false,
    };

    public static int Report(TextWriter error, string verb, Exception ex, CancellationToken cancellationToken)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            ex = agg.InnerExceptions[0];
        }
        if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            error.WriteLine($"mesh {verb}: interrupted");
            return CliExit.Interrupted;
        }
        error.WriteLine($"mesh {verb}: {Describe(ex)}");
        return ex is CliUsageException ? CliExit.Usage : CliExit.Failure;
    }

    public static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException f => f.FileName is null ? f.Message : $"{f.FileName} does not exist",
        DirectoryNotFoundException d => $"a directory does not exist: {d.Message}",
        UnauthorizedAccessException u => $"permission denied: {u.Message}",
        IdentityFileException i => $"{i.Path} is not a usable identity file: {i.Reason}",
        SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } s => $"the address is already in use (another process listens on that port): {s.Message}",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } s => $"connection refused: {s.Message}",
        ExtrinsicFailedException e => $"the chain refused the transaction: {e.Pallet}.{e.Error}{(e.Docs.Length == 0 ? "" : " (" + e.Docs + ")")}",
        ChainConnectionException c => $"cannot reach the chain: {c.Message}",
        ChainTimeoutException t => $"the chain did not answer in time: {t.Message}",
        _ => ex.Message,
    };
}
