using System.Data.Common;
using System.Net.Sockets;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Metrics;
using Mesh.Node.Subnet;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Consensus;

/// <summary>Settings of <see cref="ConsensusLoop"/>.</summary>
public sealed record ConsensusOptions
{
    public required uint SubnetId { get; init; }

    public required uint SubnetNodeId { get; init; }

    /// <summary>How often the chain is polled (the template sleeps one block, <c>BLOCK_SECS</c> = 6 s).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>An attestor gives up waiting for the validator's proposal past this epoch progress (template: 25 %).</summary>
    public double AttestDeadline { get; init; } = 0.25;

    /// <summary>How often a long wait repeats its status line.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between retries of a chain call that failed (the delay doubles from the poll interval).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The outcome of one epoch's round.</summary>
public sealed record ConsensusRoundResult(uint Epoch, string Role, string Outcome, uint? Validator, IReadOnlyList<ConsensusScore> Scores);

/// <summary>
/// The consensus loop of the mesh template (mesh-reference §7, MT variant): wait until the subnet is active and this
/// node is eligible (class ≥ Idle from its start epoch), then once per subnet epoch score the nodes from their live
/// heartbeats (<see cref="ConsensusDecisions.Score"/>), wait for the election, and either propose (the elected
/// validator, unless a submission exists) or compare the validator's submission with our scores and attest if they
/// match (<see cref="ConsensusDecisions.Decide"/>), giving up past <see cref="ConsensusOptions.AttestDeadline"/>.
/// Works against any <see cref="IHypertensorChain"/> (the runtime, the local chain).
/// </summary>
/// <remarks>
/// Fixed template bugs (mesh-reference §10): the election wait's condition <c>validator is not None or validator !=
/// 'None'</c> is always true, so the template never waited for an election; here it polls until a validator is elected
/// or the epoch is over (item 5). Two empty score sets match, so an empty proposal gets attested (item 4, in
/// <see cref="ConsensusDecisions.ScoresMatch"/>). Also: the first round runs in the epoch the loop starts in, not one
/// epoch later; an attestor whose scores differ re-scores once when the proposal arrives (its first look was at the
/// epoch start, when a node that just joined may not have published its heartbeat yet); a chain that cannot be reached
/// is retried with backoff and a status line, where the template's process logs and sleeps one block.
/// </remarks>
public sealed partial class ConsensusLoop
{
    private readonly IHypertensorChain _chain;
    private readonly ISubnetDht _dht;
    private readonly ConsensusOptions _options;
    private readonly NodeMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SubnetEpochClock? _clock;
    private string? _lastStatus;
    private long _lastStatusAt;

    public ConsensusLoop(IHypertensorChain chain, ISubnetDht dht, ConsensusOptions options, NodeMetrics? metrics = null, ILogger? logger = null,
        TimeProvider? time = null, SubnetEpochClock? clock = null)
    {
        _chain = chain ?? throw new ArgumentNullException(nameof(chain));
        _dht = dht ?? throw new ArgumentNullException(nameof(dht));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.PollInterval <= TimeSpan.Zero || options.AttestDeadline is <= 0 or > 1)
        {
            throw new ArgumentException("the poll interval must be positive and the attest deadline in (0, 1]", nameof(options));
        }
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _clock = clock;
    }

    public ConsensusOptions Options => _options;

    /// <summary>What the loop is doing: <c>starting</c>, <c>waiting for activation</c>, <c>waiting for eligibility</c>, <c>running</c>.</summary>
    public string Phase { get; private set; } = "starting";

    /// <summary>Raised after every round (on the loop's task; handlers must not block).</summary>
    public event Action<ConsensusRoundResult>? RoundCompleted;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns without throwing).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            Phase = "waiting for activation";
            await WaitForActivationAsync(cancellationToken).ConfigureAwait(false);
            Phase = "waiting for eligibility";
            await WaitForEligibilityAsync(cancellationToken).ConfigureAwait(false);
            Phase = "running";
            Log.Started(_logger, _options.SubnetId, _options.SubnetNodeId);
            uint? last = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                ChainClock clock = await ChainAsync(ct => _chain.GetClockAsync(_options.SubnetId, ct), "the clock", cancellationToken).ConfigureAwait(false);
                _clock?.Update(clock);
                if (clock.SubnetEpoch != last)
                {
                    last = clock.SubnetEpoch;
                    ConsensusRoundResult result;
                    try
                    {
                        result = await RunRoundAsync(clock.SubnetEpoch, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        // One epoch's failure (a chain answer that does not decode, a bug) costs that epoch only:
                        // the node keeps serving and takes part again in the next one.
                        _metrics?.ConsensusRounds.Add(1, new KeyValuePair<string, object?>("role", "unknown"), new KeyValuePair<string, object?>("outcome", "failed"));
                        Log.RoundFailed(_logger, clock.SubnetEpoch, ex);
                        await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    _metrics?.ConsensusRounds.Add(1, new KeyValuePair<string, object?>("role", result.Role), new KeyValuePair<string, object?>("outcome", result.Outcome));
                    Log.RoundDone(_logger, result.Epoch, result.Role, result.Outcome, result.Validator?.ToString() ?? "none", result.Scores.Count);
                    RoundCompleted?.Invoke(result);
                }
                await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: whatever the cancelled chain or DHT call threw (an OperationCanceledException, or the error
            // of a connection or database closed under it) is the shutdown, not a failure to report.
            if (ex is not OperationCanceledException)
            {
                Log.StoppedDuring(_logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    /// <summary>One epoch's round (public for tests that drive epochs themselves).</summary>
    public async Task<ConsensusRoundResult> RunRoundAsync(uint epoch, CancellationToken cancellationToken)
    {
        Log.Epoch(_logger, epoch);
        IReadOnlyList<ConsensusScore> scores = await ScoreAsync(epoch, cancellationToken).ConfigureAwait(false);

        // Wait for the election of this epoch; give up when the epoch is over (template bug §10.5 fixed).
        uint? validator;
        while (true)
        {
            validator = await ChainAsync(ct => _chain.GetElectedValidatorAsync(_options.SubnetId, epoch, ct), "the elected validator", cancellationToken).ConfigureAwait(false);
            if (validator is not null)
            {
                break;
            }
            ChainClock clock = await ChainAsync(ct => _chain.GetClockAsync(_options.SubnetId, ct), "the clock", cancellationToken).ConfigureAwait(false);
            _clock?.Update(clock);
            if (clock.SubnetEpoch != epoch)
            {
                return new ConsensusRoundResult(epoch, "attestor", "skipped", null, scores);
            }
            Status($"waiting for the election of subnet {_options.SubnetId} epoch {epoch}");
            await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
        Log.Elected(_logger, epoch, validator.Value, validator == _options.SubnetNodeId ? " (this node)" : "");
        return validator == _options.SubnetNodeId
            ? await ProposeAsync(epoch, scores, cancellationToken).ConfigureAwait(false)
            : await AttestAsync(epoch, validator.Value, scores, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ConsensusRoundResult> ProposeAsync(uint epoch, IReadOnlyList<ConsensusScore> scores, CancellationToken cancellationToken)
    {
        uint me = _options.SubnetNodeId;
        ConsensusSubmission? existing = await ChainAsync(ct => _chain.GetConsensusSubmissionAsync(_options.SubnetId, epoch, ct), "the submission", cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return new ConsensusRoundResult(epoch, "validator", "already_done", me, scores);
        }
        try
        {
            // An empty score list is allowed: the subnet is then penalised, the validator is not (template comment).
            await ChainAsync(ct => _chain.ProposeAttestationAsync(_options.SubnetId, scores, cancellationToken: ct), "propose_attestation", cancellationToken).ConfigureAwait(false);
            Log.Proposed(_logger, epoch, scores.Count);
            return new ConsensusRoundResult(epoch, "validator", "proposed", me, scores);
        }
        catch (ExtrinsicFailedException ex) when (ex.Error == "SubnetRewardsAlreadySubmitted")
        {
            return new ConsensusRoundResult(epoch, "validator", "already_done", me, scores);
        }
        catch (ExtrinsicFailedException ex)
        {
            Log.ProposeRefused(_logger, epoch, ex.Pallet, ex.Error, ex.Docs);
            return new ConsensusRoundResult(epoch, "validator", "failed", me, scores);
        }
    }

    private async Task<ConsensusRoundResult> AttestAsync(uint epoch, uint validator, IReadOnlyList<ConsensusScore> scores, CancellationToken cancellationToken)
    {
        ConsensusSubmission? submission = null;
        bool rescored = false;
        while (true)
        {
            ChainClock clock = await ChainAsync(ct => _chain.GetClockAsync(_options.SubnetId, ct), "the clock", cancellationToken).ConfigureAwait(false);
            _clock?.Update(clock);
            if (clock.SubnetEpoch != epoch || clock.SubnetEpochProgress > _options.AttestDeadline)
            {
                Log.ValidatorLate(_logger, epoch, validator);
                return new ConsensusRoundResult(epoch, "attestor", "skipped", validator, scores);
            }
            submission ??= await ChainAsync(ct => _chain.GetConsensusSubmissionAsync(_options.SubnetId, epoch, ct), "the submission", cancellationToken).ConfigureAwait(false);
            if (submission is null)
            {
                Status($"waiting for validator {validator}'s proposal for epoch {epoch}");
                await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }
            SubnetNode? me = await ChainAsync(ct => _chain.GetSubnetNodeAsync(_options.SubnetId, _options.SubnetNodeId, ct), "our node", cancellationToken).ConfigureAwait(false);
            AttestDecision decision = ConsensusDecisions.Decide(submission, scores, me, epoch);
            if (decision == AttestDecision.Mismatch && !rescored)
            {
                rescored = true;
                scores = await ScoreAsync(epoch, cancellationToken).ConfigureAwait(false);
                decision = ConsensusDecisions.Decide(submission, scores, me, epoch);
            }
            switch (decision)
            {
                case AttestDecision.Mismatch:
                    Log.Mismatch(_logger, epoch, validator, submission.Data.Count, scores.Count);
                    return new ConsensusRoundResult(epoch, "attestor", "mismatch", validator, scores);
                case AttestDecision.QueueChangesUsed:
                case AttestDecision.NotAttestor:
                    Log.NotAttesting(_logger, epoch, decision.ToString());
                    return new ConsensusRoundResult(epoch, "attestor", "skipped", validator, scores);
                case AttestDecision.AlreadyAttested:
                    return new ConsensusRoundResult(epoch, "attestor", "already_done", validator, scores);
            }
            try
            {
                await ChainAsync(ct => _chain.AttestAsync(_options.SubnetId, null, ct), "attest", cancellationToken).ConfigureAwait(false);
                Log.Attested(_logger, epoch, validator);
                return new ConsensusRoundResult(epoch, "attestor", "attested", validator, scores);
            }
            catch (ExtrinsicFailedException ex) when (ex.Error == "AlreadyAttested")
            {
                return new ConsensusRoundResult(epoch, "attestor", "already_done", validator, scores);
            }
            catch (ExtrinsicFailedException ex)
            {
                Log.AttestRefused(_logger, epoch, ex.Pallet, ex.Error, ex.Docs);
                return new ConsensusRoundResult(epoch, "attestor", "failed", validator, scores);
            }
        }
    }

    /// <summary>This node's view of the scores of <paramref name="epoch"/>: on-chain nodes × live heartbeats.</summary>
    public async Task<IReadOnlyList<ConsensusScore>> ScoreAsync(uint epoch, CancellationToken cancellationToken)
    {
        IReadOnlyList<SubnetNode> nodes = await ChainAsync(ct => _chain.GetSubnetNodesAsync(_options.SubnetId, ct), "the subnet nodes", cancellationToken).ConfigureAwait(false);
        IReadOnlyList<NodeHeartbeat> heartbeats;
        try
        {
            IReadOnlyList<DhtSubkeyEntry> entries = await _dht.GetDictionaryAsync(HeartbeatRecord.Key, latest: true, cancellationToken).ConfigureAwait(false);
            heartbeats = HeartbeatRecord.Parse(entries, out int malformed);
            _metrics?.DhtOperations.Add(1, new KeyValuePair<string, object?>("operation", "get"), new KeyValuePair<string, object?>("result", "ok"));
            if (malformed > 0)
            {
                Log.MalformedHeartbeats(_logger, malformed);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // No view of the DHT: score nobody (and attest only an empty proposal), as the template's get fails.
            _metrics?.DhtOperations.Add(1, new KeyValuePair<string, object?>("operation", "get"), new KeyValuePair<string, object?>("result", "failed"));
            Log.HeartbeatReadFailed(_logger, ex.Message);
            heartbeats = [];
        }
        double now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        return ConsensusDecisions.Score(nodes, heartbeats, epoch, now);
    }

    private async Task WaitForActivationAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SubnetInfo? subnet = await ChainAsync(ct => _chain.GetSubnetAsync(_options.SubnetId, ct), "the subnet", cancellationToken).ConfigureAwait(false);
            ChainClock clock = await ChainAsync(ct => _chain.GetClockAsync(_options.SubnetId, ct), "the clock", cancellationToken).ConfigureAwait(false);
            _clock?.Update(clock);
            if (subnet is { State: SubnetState.Active } && clock.SubnetEpoch >= subnet.StartEpoch)
            {
                Log.SubnetActive(_logger, _options.SubnetId, clock.SubnetEpoch);
                return;
            }
            Status(subnet is null
                ? $"waiting for subnet {_options.SubnetId} to be registered on the chain (block {clock.Block})"
                : $"waiting for subnet {_options.SubnetId} to be activated (state {subnet.State}, subnet epoch {clock.SubnetEpoch}{(subnet.State == SubnetState.Active ? $", active from {subnet.StartEpoch}" : "")})");
            await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitForEligibilityAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SubnetNode? node = await ChainAsync(ct => _chain.GetSubnetNodeAsync(_options.SubnetId, _options.SubnetNodeId, ct), "our node", cancellationToken).ConfigureAwait(false);
            ChainClock clock = await ChainAsync(ct => _chain.GetClockAsync(_options.SubnetId, ct), "the clock", cancellationToken).ConfigureAwait(false);
            _clock?.Update(clock);
            if (node is not null && node.HasClassification(NodeClass.Idle, clock.SubnetEpoch))
            {
                Log.Eligible(_logger, _options.SubnetNodeId, node.Class.ToString(), clock.SubnetEpoch);
                return;
            }
            Status(node is null
                ? $"waiting for subnet node {_options.SubnetNodeId} to be registered in subnet {_options.SubnetId}"
                : $"waiting for subnet node {_options.SubnetNodeId} to be eligible (class {node.Class} from epoch {node.StartEpoch}, now epoch {clock.SubnetEpoch})");
            await DelayAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A chain call, retried with doubling delays while the chain cannot be reached (a refused transaction is not
    /// retried: it surfaces as <see cref="ExtrinsicFailedException"/>).
    /// </summary>
    private async Task<T> ChainAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.PollInterval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : _options.PollInterval;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                T result = await call(cancellationToken).ConfigureAwait(false);
                if (attempt > 1)
                {
                    Log.ChainBack(_logger, what, attempt - 1);
                }
                return result;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                _metrics?.ChainErrors.Add(1);
                Log.ChainUnreachable(_logger, what, ex.Message, delay.TotalSeconds, attempt);
                await DelayAsync(delay, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 > _options.MaxRetryDelay ? _options.MaxRetryDelay : delay * 2;
            }
        }
    }

    /// <summary>Failures of the chain's transport or storage, worth a retry (not a refused transaction, not a bug).</summary>
    internal static bool IsTransient(Exception ex) =>
        ex is (ChainException and not ExtrinsicFailedException) or IOException or SocketException or TimeoutException or DbException;

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, _time, cancellationToken);

    /// <summary>A status line for a long wait: when it changes, and again every <see cref="ConsensusOptions.StatusInterval"/>.</summary>
    private void Status(string status)
    {
        long now = _time.GetTimestamp();
        if (status != _lastStatus || _time.GetElapsedTime(_lastStatusAt, now) >= _options.StatusInterval)
        {
            _lastStatus = status;
            _lastStatusAt = now;
            Log.Status(_logger, status);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "{Status}")]
        public static partial void Status(ILogger logger, string status);

        [LoggerMessage(201, LogLevel.Information, "Subnet {SubnetId} is active (subnet epoch {Epoch})")]
        public static partial void SubnetActive(ILogger logger, uint subnetId, uint epoch);

        [LoggerMessage(202, LogLevel.Information, "Subnet node {NodeId} is eligible (class {Class}, subnet epoch {Epoch})")]
        public static partial void Eligible(ILogger logger, uint nodeId, string @class, uint epoch);

        [LoggerMessage(203, LogLevel.Information, "Starting consensus for subnet {SubnetId} as node {NodeId}")]
        public static partial void Started(ILogger logger, uint subnetId, uint nodeId);

        [LoggerMessage(204, LogLevel.Information, "Epoch {Epoch}")]
        public static partial void Epoch(ILogger logger, uint epoch);

        [LoggerMessage(205, LogLevel.Information, "Elected validator of epoch {Epoch} is node {Validator}{Self}")]
        public static partial void Elected(ILogger logger, uint epoch, uint validator, string self);

        [LoggerMessage(206, LogLevel.Information, "Proposed the attestation of epoch {Epoch} with {Count} scores")]
        public static partial void Proposed(ILogger logger, uint epoch, int count);

        [LoggerMessage(207, LogLevel.Information, "Validator {Validator}'s data matches ours for epoch {Epoch}: attested")]
        public static partial void Attested(ILogger logger, uint epoch, uint validator);

        [LoggerMessage(208, LogLevel.Warning, "Validator {Validator}'s data for epoch {Epoch} does not match ours ({Theirs} scores vs {Ours}): not attesting")]
        public static partial void Mismatch(ILogger logger, uint epoch, uint validator, int theirs, int ours);

        [LoggerMessage(209, LogLevel.Information, "No proposal from validator {Validator} in time for epoch {Epoch}: skipping the attestation")]
        public static partial void ValidatorLate(ILogger logger, uint epoch, uint validator);

        [LoggerMessage(210, LogLevel.Information, "Not attesting epoch {Epoch}: {Reason}")]
        public static partial void NotAttesting(ILogger logger, uint epoch, string reason);

        [LoggerMessage(211, LogLevel.Warning, "The chain refused propose_attestation for epoch {Epoch}: {Pallet}.{Error} {Docs}")]
        public static partial void ProposeRefused(ILogger logger, uint epoch, string pallet, string error, string docs);

        [LoggerMessage(212, LogLevel.Warning, "The chain refused attest for epoch {Epoch}: {Pallet}.{Error} {Docs}")]
        public static partial void AttestRefused(ILogger logger, uint epoch, string pallet, string error, string docs);

        [LoggerMessage(213, LogLevel.Warning, "Cannot reach the chain ({What}): {Reason}; retrying in {Seconds:0.#} s (attempt {Attempt})")]
        public static partial void ChainUnreachable(ILogger logger, string what, string reason, double seconds, int attempt);

        [LoggerMessage(214, LogLevel.Information, "The chain answers again ({What}) after {Failures} failed attempts")]
        public static partial void ChainBack(ILogger logger, string what, int failures);

        [LoggerMessage(215, LogLevel.Information, "Round of epoch {Epoch}: {Role} {Outcome} (validator {Validator}, {Scores} scores)")]
        public static partial void RoundDone(ILogger logger, uint epoch, string role, string outcome, string validator, int scores);

        [LoggerMessage(216, LogLevel.Warning, "Could not read the heartbeats from the DHT: {Reason}; scoring nobody")]
        public static partial void HeartbeatReadFailed(ILogger logger, string reason);

        [LoggerMessage(217, LogLevel.Debug, "Skipped {Count} malformed heartbeat entries")]
        public static partial void MalformedHeartbeats(ILogger logger, int count);

        [LoggerMessage(218, LogLevel.Error, "The round of epoch {Epoch} failed; taking part again in the next epoch")]
        public static partial void RoundFailed(ILogger logger, uint epoch, Exception error);

        [LoggerMessage(219, LogLevel.Debug, "Consensus stopped during a call that then failed with {Type}: {Reason}")]
        public static partial void StoppedDuring(ILogger logger, string type, string reason);
    }
}
