using Mesh.Node.Chain.Signing;

namespace Mesh.Node.LocalChain;

/// <summary>
/// Settings of the embedded local chain (<c>--no_blockchain_rpc</c>). The block time and epoch length are fixed when
/// the database file is created (every process sharing the file must agree on the clock); a process opening an
/// existing file uses the file's values and reports a mismatch as a warning.
/// </summary>
public sealed record LocalChainOptions
{
    /// <summary>The mock chain's file name in the Python mesh (CWD), kept for familiarity.</summary>
    public const string DefaultFileName = "mock_hypertensor.db";

    /// <summary>The database file, shared by every local node of one machine.</summary>
    public string DatabasePath { get; init; } = DefaultFileName;

    /// <summary>Wall-clock time per block (the runtime's <c>MILLISECS_PER_BLOCK</c>, 6 s). Tests use a fraction of a second.</summary>
    public TimeSpan BlockTime { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Blocks per epoch (<c>Network.EpochLength</c> of the local runtime: 20).</summary>
    public uint EpochLength { get; init; } = 20;

    /// <summary>Start from an empty chain (<c>--new_swarm</c>): the file is recreated.</summary>
    public bool Reset { get; init; }

    /// <summary>The hotkey that signs <c>propose_attestation</c> and <c>attest</c> (the running node's).</summary>
    public EthereumKeyPair? Signer { get; init; }

    /// <summary>How long one operation waits for another process's write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new ArgumentException("the local chain needs a database path", nameof(DatabasePath));
        }
        if (BlockTime < TimeSpan.FromMilliseconds(10) || BlockTime > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(BlockTime), BlockTime, "the block time must be between 10 ms and 1 h");
        }
        if (EpochLength is < 4 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(EpochLength), EpochLength, "the epoch length must be between 4 and 100000 blocks");
        }
    }
}
