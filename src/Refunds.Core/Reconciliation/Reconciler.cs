using System.Diagnostics;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// One reconciliation run: walks the open-work index (never the ledger's history, so a run costs O(open)), checks each
/// open order against Ping++ and converges the ledger (<see cref="OrderReconciliation"/> decides, this class performs).
/// Bounded by a <see cref="ReconciliationBudget"/>; continues where the previous run stopped (a cursor in the index
/// table), wrapping around so a large backlog is served in rotation. Safe when runs overlap: every write is an ETag
/// update or an idempotent merge, and hand-backs are claimed per request id before anything is enqueued.
/// </summary>
public sealed partial class Reconciler(
    IRefundLedger ledger,
    PingppClient client,
    RefundRequestQueue queue,
    DiscrepancyStore discrepancies,
    ReconcileStateStore state,
    AnomalyResolver anomalies,
    IOptions<ReconciliationOptions> options,
    ReconciliationMetrics metrics,
    TimeProvider time,
    ILogger<Reconciler> logger,
    UnplacedRefundPlacer? placer = null)
{
    private const int MaxIndexPage = 100;

    public Task<ReconciliationSummary> RunAsync(CancellationToken cancellationToken) => RunAsync(null, cancellationToken);

    public async Task<ReconciliationSummary> RunAsync(ReconciliationBudget? budget, CancellationToken cancellationToken)
    {
        budget ??= ReconciliationBudget.From(options.Value);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.MaxOrders, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.MaxConcurrency, 1);
        var started = time.GetTimestamp();
        var run = new RunCounters();
        var cursor = await state.GetCursorAsync(cancellationToken).ConfigureAwait(false);
        var wrapAllowed = cursor is not null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tasks = new List<Task>();
        using var gate = new SemaphoreSlim(budget.MaxConcurrency, budget.MaxConcurrency);

        var continuation = cursor;
        string? nextCursor = null;
        var exhausted = false;
        try
        {
            while (true)
            {
                if (seen.Count >= budget.MaxOrders || time.GetElapsedTime(started) >= budget.MaxDuration)
                {
                    exhausted = true;
                    nextCursor = continuation;
                    break;
                }

                var pageStart = continuation;
                var page = await ledger.ListOpenWorkAsync(Math.Min(MaxIndexPage, budget.MaxOrders - seen.Count), continuation, cancellationToken).ConfigureAwait(false);
                var stoppedInPage = false;
                foreach (var item in page.Items)
                {
                    if (time.GetElapsedTime(started) >= budget.MaxDuration)
                    {
                        exhausted = true;
                        stoppedInPage = true;
                        break;
                    }

                    if (!seen.Add(item.LedgerKey))
                    {
                        // Wrapped around to work this run already did.
                        stoppedInPage = true;
                        break;
                    }

                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    tasks.Add(CheckReleasingAsync(item, run, gate, cancellationToken));
                }

                if (stoppedInPage)
                {
                    // Redo the page next time rather than skip what this run did not reach.
                    nextCursor = pageStart;
                    break;
                }

                continuation = page.Continuation;
                if (continuation is null)
                {
                    if (wrapAllowed)
                    {
                        // Started mid-index: go on from the start, up to where this run began.
                        wrapAllowed = false;
                        continue;
                    }

                    nextCursor = null;
                    break;
                }
            }
        }
        finally
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        await state.SaveCursorAsync(nextCursor, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var summary = run.ToSummary(time.GetElapsedTime(started), exhausted, nextCursor);
        metrics.Run(summary);
        Log.RunSummary(logger, summary.OrdersChecked, summary.OrdersFailed, summary.RefundsUpdated, summary.Adopted, summary.ReEnqueued,
            summary.External, summary.Discrepancies, summary.Anomalies, summary.AnomalyRefundsEnqueued, summary.PingppCalls,
            (long)summary.Duration.TotalMilliseconds, summary.BudgetExhausted);
        return summary;
    }

    private async Task CheckReleasingAsync(OpenWorkItem item, RunCounters run, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await CheckAsync(item, run, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task CheckAsync(OpenWorkItem item, RunCounters run, CancellationToken cancellationToken)
    {
        if (item.OrderId is not { } orderId)
        {
            // An external refund whose order is unknown: looked up through its charge (bounded per run); unplaced, it waits for a person.
            if (placer is not null && await PlaceAsync(item, run, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var d = new Discrepancy(DiscrepancyKind.ExternalRefundOfUnknownOrder, item.LedgerKey, item.RefundId, null,
                $"external refund, charge {item.ChargeId ?? "unknown"}", "order unknown: cannot be listed");
            await RecordDiscrepancyAsync(d, run, cancellationToken).ConfigureAwait(false);
            run.Add(ref run.Skipped);
            return;
        }

        try
        {
            var orderLedger = await ledger.ListOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
            var atPingpp = await OrderRefundList.ListAllAsync(client, orderId, () => run.Add(ref run.PingppCalls), cancellationToken).ConfigureAwait(false);
            PingppOrder? order = null;
            if (orderLedger.Order is { NeedsReconciliation: true })
            {
                run.Add(ref run.PingppCalls);
                order = await client.RetrieveOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
            }

            var grace = options.Value.CreateGracePeriod;
            var plan = OrderReconciliation.Decide(orderLedger, atPingpp, order, time.GetUtcNow(), grace);

            foreach (var (requestId, refunds) in plan.Adopt)
            {
                var adopted = await ledger.RecordSubmittedAsync(requestId, refunds, cancellationToken).ConfigureAwait(false);
                if (adopted.Outcome == RequestUpdateOutcome.Updated)
                {
                    run.Add(ref run.Adopted);
                    Log.Adopted(logger, orderId, requestId, refunds[0].Id, refunds.Count);
                }
            }

            var itemsFailed = 0;
            foreach (var refund in plan.Apply)
            {
                RefundApplyResult applied;
                try
                {
                    applied = await ledger.ApplyRefundAsync(refund, orderId, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One odd refund (an id the ledger cannot key, a storage error) must not stop the rest of the order
                    // nor the run's cursor; the order stays open and the refund is tried again next run.
                    itemsFailed++;
                    Log.RefundFailed(logger, e, orderId, refund.Id);
                    continue;
                }

                if (applied.Outcome == RefundApplyOutcome.Created && applied.Refund.External)
                {
                    run.Add(ref run.External);
                    Log.External(logger, orderId, refund.Id, refund.Amount, refund.Status.ToString());
                }
                else if (applied.Changed)
                {
                    run.Add(ref run.RefundsUpdated);
                    Log.RefundUpdated(logger, orderId, refund.Id, applied.Refund.RequestId, applied.Refund.Status.ToString(), applied.Refund.FailureCode);
                }
            }

            foreach (var (requestId, reason) in plan.Park)
            {
                var parked = await ledger.RecordNeedsReviewAsync(requestId, attempt: null, reason, cancellationToken).ConfigureAwait(false);
                if (parked.Outcome == RequestUpdateOutcome.Updated)
                {
                    Log.Parked(logger, orderId, requestId, reason);
                }
            }

            foreach (var request in plan.HandBack)
            {
                await HandBackAsync(request, grace, run, cancellationToken).ConfigureAwait(false);
            }

            foreach (var discrepancy in plan.Discrepancies)
            {
                await RecordDiscrepancyAsync(discrepancy, run, cancellationToken).ConfigureAwait(false);
            }

            if (order is not null)
            {
                var resolution = await anomalies.ResolveAsync(order, atPingpp, orderLedger, cancellationToken).ConfigureAwait(false);
                if (resolution.Anomaly is not null)
                {
                    run.Add(ref run.Anomalies);
                    run.Add(ref run.AnomalyRefundsEnqueued, resolution.Enqueued);
                }
            }

            if (itemsFailed > 0)
            {
                // Not cleared: the order stays open work for the next run.
                run.Add(ref run.OrdersFailed);
                return;
            }

            run.Add(ref run.OrdersChecked);
            if (orderLedger.Order is { NeedsReconciliation: true, MarkedAt: { } markedAt })
            {
                // A mark set after this check began (a newer event) survives for the next run.
                await ledger.ClearReconciliationMarkAsync(orderId, markedAt, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ledger.RefreshOpenWorkAsync(orderId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            run.Add(ref run.OrdersFailed);
            Log.OrderFailed(logger, e, orderId);
        }
    }

    /// <summary>One charge lookup of an orphan refund within the run's <see cref="ReconciliationOptions.MaxPlacementsPerRun"/>; true when it was placed.</summary>
    private async Task<bool> PlaceAsync(OpenWorkItem item, RunCounters run, CancellationToken cancellationToken)
    {
        try
        {
            var max = options.Value.MaxPlacementsPerRun;
            var result = await placer!.TryPlaceAsync(item, () => Interlocked.Increment(ref run.Placements) <= max, cancellationToken).ConfigureAwait(false);
            run.Add(ref run.PingppCalls, result.PingppCalls);
            return result.Outcome == PlacementOutcome.Placed;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Kept as it is (unplaced, and a discrepancy below); tried again next run.
            Log.PlacementFailed(logger, e, item.RefundId);
            return false;
        }
    }

    private async Task HandBackAsync(RefundRequestRecord record, TimeSpan grace, RunCounters run, CancellationToken cancellationToken)
    {
        if (record.ToRefundRequest() is not { } request || RefundRequestRules.Validate(request) is { Count: > 0 })
        {
            Log.CannotHandBack(logger, record.OrderId, record.RequestId);
            return;
        }

        if (!await state.TryClaimEnqueueAsync(record.RequestId, time.GetUtcNow(), grace, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await queue.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        run.Add(ref run.ReEnqueued);
        Log.HandedBack(logger, record.OrderId, record.RequestId, record.State.ToString(), record.Attempt);
    }

    private async Task RecordDiscrepancyAsync(Discrepancy discrepancy, RunCounters run, CancellationToken cancellationToken)
    {
        var isNew = await discrepancies.RecordAsync(discrepancy, cancellationToken).ConfigureAwait(false);
        run.Add(ref run.Discrepancies);
        metrics.Discrepancy(discrepancy.Kind);
        if (isNew)
        {
            Log.Discrepancy(logger, discrepancy.Kind.ToString(), discrepancy.Key, discrepancy.RefundId, discrepancy.RequestId, discrepancy.LedgerView, discrepancy.PingppView);
        }
    }

    private sealed class RunCounters
    {
        public int OrdersChecked;
        public int OrdersFailed;
        public int Skipped;
        public int RefundsUpdated;
        public int Adopted;
        public int ReEnqueued;
        public int External;
        public int Discrepancies;
        public int Anomalies;
        public int AnomalyRefundsEnqueued;
        public int PingppCalls;
        public int Placements;

        public void Add(ref int field, int amount = 1) => Interlocked.Add(ref field, amount);

        public ReconciliationSummary ToSummary(TimeSpan duration, bool exhausted, string? continuation) => new()
        {
            OrdersChecked = OrdersChecked,
            OrdersFailed = OrdersFailed,
            Skipped = Skipped,
            RefundsUpdated = RefundsUpdated,
            Adopted = Adopted,
            ReEnqueued = ReEnqueued,
            External = External,
            Discrepancies = Discrepancies,
            Anomalies = Anomalies,
            AnomalyRefundsEnqueued = AnomalyRefundsEnqueued,
            PingppCalls = PingppCalls,
            Duration = duration,
            BudgetExhausted = exhausted,
            Continuation = continuation,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "Reconciliation run: {OrdersChecked} orders checked, {OrdersFailed} failed, {RefundsUpdated} refunds updated, {Adopted} adopted, {ReEnqueued} re-enqueued, {External} external, {Discrepancies} discrepancies, {Anomalies} anomalies ({AnomalyRefundsEnqueued} refunds enqueued), {PingppCalls} Ping++ calls, {DurationMs} ms, budget exhausted {BudgetExhausted}")]
        public static partial void RunSummary(ILogger logger, int ordersChecked, int ordersFailed, int refundsUpdated, int adopted, int reEnqueued,
            int external, int discrepancies, int anomalies, int anomalyRefundsEnqueued, int pingppCalls, long durationMs, bool budgetExhausted);

        [LoggerMessage(6002, LogLevel.Information, "Request {RequestId} of order {OrderId} adopted: its refund {RefundId} exists at Ping++ ({RefundCount} refund(s))")]
        public static partial void Adopted(ILogger logger, string orderId, string requestId, string refundId, int refundCount);

        [LoggerMessage(6003, LogLevel.Information, "Refund {RefundId} of order {OrderId} (request {RequestId}) is now {Status} at Ping++ (failure code {FailureCode})")]
        public static partial void RefundUpdated(ILogger logger, string orderId, string refundId, string? requestId, string status, string? failureCode);

        [LoggerMessage(6004, LogLevel.Warning, "External refund {RefundId} of order {OrderId} recorded: {Amount} fen, {Status} (made outside this app)")]
        public static partial void External(ILogger logger, string orderId, string refundId, long amount, string status);

        [LoggerMessage(6005, LogLevel.Warning, "Request {RequestId} of order {OrderId} handed back to the refund queue: no refund at Ping++ after the grace period (state {State}, attempt {Attempt})")]
        public static partial void HandedBack(ILogger logger, string? orderId, string requestId, string state, int attempt);

        [LoggerMessage(6006, LogLevel.Error, "Request {RequestId} of order {OrderId} is stuck but cannot be re-enqueued: its stored parameters are not a valid refund request")]
        public static partial void CannotHandBack(ILogger logger, string? orderId, string requestId);

        [LoggerMessage(6007, LogLevel.Warning, "Discrepancy {Kind} on {OrderId} (refund {RefundId}, request {RequestId}): ledger says {LedgerView}; Ping++ says {PingppView}")]
        public static partial void Discrepancy(ILogger logger, string kind, string orderId, string? refundId, string? requestId, string ledgerView, string pingppView);

        [LoggerMessage(6009, LogLevel.Error, "Request {RequestId} of order {OrderId} parked for review: {Reason}; it is not created again automatically")]
        public static partial void Parked(ILogger logger, string orderId, string requestId, string reason);

        [LoggerMessage(6010, LogLevel.Error, "Reconciling refund {RefundId} of order {OrderId} failed; the order stays open for the next run")]
        public static partial void RefundFailed(ILogger logger, Exception exception, string orderId, string refundId);

        [LoggerMessage(6303, LogLevel.Error, "Placing refund {RefundId} of an unknown order failed; it stays unplaced and is tried again next run")]
        public static partial void PlacementFailed(ILogger logger, Exception exception, string? refundId);

        [LoggerMessage(6008, LogLevel.Warning, "Reconciling order {OrderId} failed; it stays open for the next run")]
        public static partial void OrderFailed(ILogger logger, Exception exception, string orderId);
    }
}
