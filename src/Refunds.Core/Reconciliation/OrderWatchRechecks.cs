using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The re-checks of finished orders: each timer run takes the due rows of the <see cref="OrderWatchIndex"/> (at most
/// <see cref="OrderWatchOptions.RechecksPerRun"/>, oldest first), lists each order's refunds at Ping++ once and
/// converges the ledger as the open-work check does (<see cref="OrderReconciliation.Decide"/>): a refund the ledger
/// does not know is recorded as external and as an <see cref="DiscrepancyKind.ExternalRefundFound"/> discrepancy (the
/// operator's problem list); a known refund that moved on is applied, and a conflicting one recorded as a discrepancy.
/// Requests that need more than that (adopt, hand back, park) are left to the open-work check by marking the order.
/// </summary>
public sealed partial class OrderWatchRechecks(
    IRefundLedger ledger,
    PingppClient client,
    OrderWatchIndex index,
    DiscrepancyStore discrepancies,
    IOptions<OrderWatchOptions> options,
    IOptions<ReconciliationOptions> reconciliation,
    ReconciliationMetrics metrics,
    TimeProvider time,
    ILogger<OrderWatchRechecks> logger)
{
    /// <summary>What to do with a due row (see <see cref="Judge"/>).</summary>
    public enum Verdict
    {
        /// <summary>Re-check it: it belongs to the order's current watch and nobody holds its step.</summary>
        Recheck,

        /// <summary>Another run claimed this step (added the next due row) less than a lease ago.</summary>
        Claimed,

        /// <summary>Left behind by an older watch of the order (it entered the watch again since): delete it unread.</summary>
        Stale,
    }

    /// <summary>
    /// The rule that keeps one re-check per step. <paramref name="watchEnteredAt"/> is the order's watch row (null: not
    /// written, e.g. a crash during entry): a due row of an older watch is stale; a due row newer than the watch row
    /// is live (the entry's watch-row write was lost). <paramref name="claimedAt"/> is the time on the next step's due
    /// row when adding it conflicted (null: the add succeeded, or the row carries no time): a claim younger than
    /// <paramref name="lease"/> belongs to a live run; an older one to a run that died, whose step is taken over.
    /// </summary>
    public static Verdict Judge(OrderWatchEntry due, DateTimeOffset? watchEnteredAt, DateTimeOffset? claimedAt, DateTimeOffset now, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(due);
        if (watchEnteredAt is { } entered && entered > due.EnteredAt)
        {
            return Verdict.Stale;
        }

        return claimedAt is { } at && now - at < lease ? Verdict.Claimed : Verdict.Recheck;
    }

    public async Task<OrderWatchSummary> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var run = new Counters();
        var due = await index.ListDueAsync(time.GetUtcNow(), options.Value.RechecksPerRun, cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = reconciliation.Value.MaxConcurrency, CancellationToken = cancellationToken },
            async (entry, ct) => await HandleAsync(entry, run, ct).ConfigureAwait(false)).ConfigureAwait(false);

        var summary = run.ToSummary(due.Count, time.GetElapsedTime(started));
        Log.RunSummary(logger, summary.Due, summary.Rechecked, summary.Failed, summary.External, summary.RefundsUpdated, summary.Discrepancies,
            summary.Left, summary.Stale, summary.PingppCalls, (long)summary.Duration.TotalMilliseconds);
        return summary;
    }

    private async Task HandleAsync(OrderWatchEntry entry, Counters run, CancellationToken ct)
    {
        try
        {
            var now = time.GetUtcNow();
            var lease = reconciliation.Value.MaxRunDuration;

            // One point read of the order: its members row, which holds the watch and its snapshot.
            var watch = await index.ReadWatchAsync(entry.OrderId, ct).ConfigureAwait(false);
            if (index.IsEnd(entry))
            {
                await EndAsync(entry, watch, run, ct).ConfigureAwait(false);
                return;
            }

            if (Judge(entry, watch?.EnteredAt, null, now, lease) == Verdict.Stale)
            {
                await index.DropAsync(entry, ct).ConfigureAwait(false);
                Interlocked.Increment(ref run.Stale);
                return;
            }

            var claim = await index.TryClaimAsync(entry, now, lease, ct).ConfigureAwait(false);
            if (!claim.Won && (Judge(entry, watch?.EnteredAt, claim.ClaimedAt, now, lease) == Verdict.Claimed
                || claim.ETag is not { } etag || !await index.TakeOverAsync(entry, etag, now, lease, ct).ConfigureAwait(false)))
            {
                return;
            }

            await RecheckAsync(entry.OrderId, watch, run, ct).ConfigureAwait(false);
            await index.DropAsync(entry, ct).ConfigureAwait(false);
            Interlocked.Increment(ref run.Rechecked);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The due row stays; once the claim's lease is over a later run re-checks this step again.
            Interlocked.Increment(ref run.Failed);
            Log.RecheckFailed(logger, e, entry.OrderId, entry.Step);
        }
    }

    /// <summary>The end row of a watch came due: the watch is marked ended (unless the order entered the watch again since), then the end row goes.</summary>
    private async Task EndAsync(OrderWatchEntry entry, WatchState? watch, Counters run, CancellationToken ct)
    {
        if (watch is { EnteredAt: { } entered } && entered <= entry.EnteredAt && await index.CloseAsync(entry.OrderId, watch, ct).ConfigureAwait(false))
        {
            Interlocked.Increment(ref run.Left);
        }

        await index.DropAsync(entry, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the order at Ping++; when Ping++ and the ledger's members list both still match the watch's snapshot
    /// there is nothing to converge and nothing more is read. Otherwise the order is read and converged.
    /// </summary>
    private async Task RecheckAsync(string orderId, WatchState? watch, Counters run, CancellationToken ct)
    {
        var atPingpp = await OrderRefundList.ListAllAsync(client, orderId, () => Interlocked.Increment(ref run.PingppCalls), ct).ConfigureAwait(false);
        if (watch?.Snapshot is { } snapshot && snapshot.Settles(watch.ListedRefundRows, atPingpp))
        {
            return;
        }

        var orderLedger = await ledger.ListOrderAsync(orderId, ct).ConfigureAwait(false);
        var plan = OrderReconciliation.Decide(orderLedger, atPingpp, order: null, time.GetUtcNow(), reconciliation.Value.CreateGracePeriod);
        var refunds = orderLedger.Refunds.ToDictionary(r => r.RefundId, StringComparer.Ordinal);
        foreach (var refund in plan.Apply)
        {
            var applied = await ledger.ApplyRefundAsync(refund, orderId, ct).ConfigureAwait(false);
            refunds[applied.Refund.RefundId] = applied.Refund;
            if (applied.Outcome == RefundApplyOutcome.Created && applied.Refund.External)
            {
                Interlocked.Increment(ref run.External);
                Log.ExternalFound(logger, orderId, refund.Id, refund.Amount, refund.Status.ToString());
                await RecordAsync(new Discrepancy(DiscrepancyKind.ExternalRefundFound, orderId, refund.Id, null,
                    "not in the ledger (no webhook, not ours): recorded now as external",
                    string.Create(CultureInfo.InvariantCulture, $"{refund.Status.ToString().ToLowerInvariant()} amount {refund.Amount}, charge {refund.Charge}")), run, ct).ConfigureAwait(false);
            }
            else if (applied.Changed)
            {
                Interlocked.Increment(ref run.RefundsUpdated);
            }
        }

        foreach (var discrepancy in plan.Discrepancies)
        {
            await RecordAsync(discrepancy, run, ct).ConfigureAwait(false);
        }

        if (plan.Adopt.Count > 0 || plan.HandBack.Count > 0 || plan.Park.Count > 0)
        {
            // A request of ours is not where the ledger says: the open-work check has the rules (and the claims) for it.
            await ledger.MarkOrderForReconciliationAsync(orderId, "watch re-check: a request needs reconciliation", ct).ConfigureAwait(false);
        }

        // The refunds as read and as applied become the snapshot, so the next step stops at one read again if nothing
        // changes. A writer that changed the order meanwhile shows as a members list or a Ping++ listing that differs
        // from it, which sends that step to the whole order again.
        await index.RecordSnapshotAsync(orderId, refunds.Values, ct).ConfigureAwait(false);
    }

    private async Task RecordAsync(Discrepancy discrepancy, Counters run, CancellationToken ct)
    {
        await discrepancies.RecordAsync(discrepancy, ct).ConfigureAwait(false);
        Interlocked.Increment(ref run.Discrepancies);
        metrics.Discrepancy(discrepancy.Kind);
    }

    private sealed class Counters
    {
        public int Rechecked;
        public int Failed;
        public int Stale;
        public int Left;
        public int External;
        public int RefundsUpdated;
        public int Discrepancies;
        public int PingppCalls;

        public OrderWatchSummary ToSummary(int due, TimeSpan duration) => new()
        {
            Due = due,
            Rechecked = Rechecked,
            Failed = Failed,
            Stale = Stale,
            Left = Left,
            External = External,
            RefundsUpdated = RefundsUpdated,
            Discrepancies = Discrepancies,
            PingppCalls = PingppCalls,
            Duration = duration,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(6301, LogLevel.Information, "Watch re-checks: {Due} due, {Rechecked} re-checked, {Failed} failed, {External} external refunds found, {RefundsUpdated} refunds updated, {Discrepancies} discrepancies, {Left} left the watch, {Stale} stale rows dropped, {PingppCalls} Ping++ calls, {DurationMs} ms")]
        public static partial void RunSummary(ILogger logger, int due, int rechecked, int failed, int external, int refundsUpdated, int discrepancies, int left, int stale, int pingppCalls, long durationMs);

        [LoggerMessage(6302, LogLevel.Warning, "External refund {RefundId} of finished order {OrderId} found by a watch re-check: {Amount} fen, {Status} (made outside this app, no webhook seen)")]
        public static partial void ExternalFound(ILogger logger, string orderId, string refundId, long amount, string status);

        [LoggerMessage(6303, LogLevel.Warning, "Watch re-check {Step} of order {OrderId} failed; it is tried again once its claim runs out")]
        public static partial void RecheckFailed(ILogger logger, Exception exception, string orderId, int step);
    }
}
