using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The order-list sweep: a bounded, resumable walk of Ping++'s order list (<c>GET /v1/orders</c>, newest first) over
/// the orders created in the last <see cref="OrderSweepOptions.SweepWindow"/>, for the orders none of our records point
/// to. On such an order it finds abnormal payments (paid after cancel, paid more than once: the rules and resolver of
/// <see cref="Anomalies"/>, so an automatic refund follows the same rules as everywhere else) and refunds made by someone
/// else (recorded in the ledger as external). Each order found is recorded once (<see cref="OrderSweepStore"/>), so a
/// later sweep does not act on it again. The creation-time bounds are fixed when a sweep starts (created[lte] = its
/// start), so the pages do not move under it; the cursor (the next page) is stored after every page with its ETag,
/// and a run that stops (pages per run, a rate limit, a failure, another run moving the cursor) leaves the page it did
/// not finish to the next run. Acting on an order twice is harmless: anomaly refunds have deterministic request ids
/// and enqueue claims, and applying a refund is idempotent.
/// </summary>
public sealed partial class OrderSweep(
    PingppClient client,
    IRefundLedger ledger,
    AnomalyResolver anomalies,
    OrderSweepStore store,
    IOptions<OrderSweepOptions> options,
    OrderSweepMetrics metrics,
    TimeProvider time,
    ILogger<OrderSweep> logger)
{
    private const int PerPage = 20;

    public async Task<OrderSweepSummary> RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        var started = time.GetTimestamp();
        var run = new Counters();
        var outcome = o.SweepEnabled ? await WalkAsync(o, run, ct).ConfigureAwait(false) : OrderSweepOutcome.Disabled;
        var summary = run.ToSummary(outcome, time.GetElapsedTime(started));
        metrics.Run(summary);
        if (outcome != OrderSweepOutcome.Disabled)
        {
            Log.RunSummary(logger, summary.Outcome.ToString(), summary.PagesRead, summary.OrdersListed, summary.OrdersFound, summary.AnomalyRefundsEnqueued,
                summary.ExternalRefunds, summary.PingppCalls, summary.NextPage, (long)summary.Duration.TotalMilliseconds);
        }

        return summary;
    }

    private async Task<OrderSweepOutcome> WalkAsync(OrderSweepOptions o, Counters run, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stored = await store.GetCursorAsync(ct).ConfigureAwait(false);
        var cursor = stored?.Cursor;
        var etag = stored?.ETag;
        if (cursor is not { InProgress: true })
        {
            if (cursor?.LastCompletedAt is { } last && now - last < o.SweepInterval)
            {
                return OrderSweepOutcome.NotDue;
            }

            cursor = new OrderSweepCursor((now - o.SweepWindow).ToUnixTimeSeconds(), now.ToUnixTimeSeconds(), 1, now, cursor?.LastCompletedAt);
            etag = await store.TrySaveCursorAsync(cursor, etag, now, ct).ConfigureAwait(false);
            if (etag is null)
            {
                return OrderSweepOutcome.CursorMovedByAnotherRun;
            }

            Log.Started(logger, cursor.CreatedFrom, cursor.CreatedTo);
        }

        run.NextPage = cursor.NextPage;
        for (var pages = 0; pages < o.SweepPagesPerRun; pages++)
        {
            PingppList<PingppOrder> page;
            try
            {
                run.PingppCalls++;
                page = await client.ListOrdersAsync(o.AppId!, cursor.CreatedFrom, cursor.CreatedTo, cursor.NextPage, PerPage, ct).ConfigureAwait(false);
                run.PagesRead++;
                foreach (var order in page.Data)
                {
                    run.OrdersListed++;
                    await ExamineAsync(order, run, ct).ConfigureAwait(false);
                }
            }
            catch (PingppException e) when (e.Kind == PingppErrorKind.RateLimited)
            {
                Log.RateLimited(logger, cursor.NextPage, e.StatusCode, e.RetryAfter?.TotalSeconds);
                return OrderSweepOutcome.RateLimited;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The page is read again next run: nothing found on it is lost, and what was done is not done twice.
                Log.PageFailed(logger, e, cursor.NextPage);
                return OrderSweepOutcome.Failed;
            }

            var done = time.GetUtcNow();
            var next = page.HasMore && page.Data.Count > 0
                ? cursor with { NextPage = cursor.NextPage + 1 }
                : cursor with { NextPage = 0, LastCompletedAt = done };
            etag = await store.TrySaveCursorAsync(next, etag, done, ct).ConfigureAwait(false);
            if (etag is null)
            {
                return OrderSweepOutcome.CursorMovedByAnotherRun;
            }

            cursor = next;
            run.NextPage = cursor.NextPage;
            if (!cursor.InProgress)
            {
                Log.Completed(logger, cursor.CreatedFrom, cursor.CreatedTo, cursor.StartedAt);
                return OrderSweepOutcome.Completed;
            }
        }

        return OrderSweepOutcome.InProgress;
    }

    /// <summary>
    /// An order some record of ours points to (request, refund or order facts in the ledger) is reconciliation's; one
    /// the sweep already recorded is done. Any other order with an abnormal payment or a refund is examined at Ping++.
    /// </summary>
    private async Task ExamineAsync(PingppOrder order, Counters run, CancellationToken ct)
    {
        if (await store.HasFindingAsync(order.Id, ct).ConfigureAwait(false))
        {
            return;
        }

        var known = await ledger.ListOrderAsync(order.Id, ct).ConfigureAwait(false);
        if (known.Order is not null || known.Requests.Count > 0 || known.Refunds.Count > 0)
        {
            return;
        }

        var abnormal = PaymentAnomalyRules.Detect(order) is not null;
        if (!abnormal && !MayHaveRefunds(order))
        {
            return;
        }

        run.PingppCalls++;
        var atPingpp = await client.ListAllOrderRefundsAsync(order.Id, ct).ConfigureAwait(false);
        var found = new List<string>();
        var done = new List<string>();

        var resolution = await anomalies.ResolveAsync(order, atPingpp, known, ct).ConfigureAwait(false);
        if (resolution.Anomaly is { } anomaly)
        {
            found.Add(string.Create(CultureInfo.InvariantCulture, $"{AnomalyRefundRequestIds.Slug(anomaly.Kind)}: paid {anomaly.AmountPaid}, due {anomaly.ActualAmount}, to refund {anomaly.AmountToRefund}"));
            done.Add(resolution.Outcome ?? "reported");
            run.AnomalyRefundsEnqueued += resolution.Enqueued;
            metrics.Found(AnomalyRefundRequestIds.Slug(anomaly.Kind));
        }

        var external = new List<string>();
        foreach (var refund in atPingpp)
        {
            var applied = await ledger.ApplyRefundAsync(refund, order.Id, ct).ConfigureAwait(false);
            if (applied.Refund.External)
            {
                external.Add(string.Create(CultureInfo.InvariantCulture, $"{refund.Id} {refund.Status.ToString().ToLowerInvariant()} {refund.Amount}"));
                if (applied.Outcome == RefundApplyOutcome.Created)
                {
                    run.ExternalRefunds++;
                }
            }
        }

        if (external.Count > 0)
        {
            found.Add("refunded by someone else: " + string.Join(", ", external));
            done.Add($"recorded {external.Count} external refund(s) in the ledger for review");
            metrics.Found("refunded-elsewhere");
        }

        if (found.Count == 0)
        {
            return;
        }

        var finding = new OrderSweepFinding(order.Id, string.Join("; ", found), string.Join("; ", done), time.GetUtcNow());
        if (await store.RecordFindingAsync(finding, ct).ConfigureAwait(false))
        {
            run.OrdersFound++;
            Log.Found(logger, order.Id, finding.Found, finding.Done);
        }
    }

    /// <summary>Whether Ping++ shows any refund on the order (a refund still pending is seen once it succeeds, by a later sweep within the window).</summary>
    private static bool MayHaveRefunds(PingppOrder order)
        => order.Refunded || order.AmountRefunded > 0 || order.Status == "refunded"
           || (order.Charges?.Data.Any(c => c.Refunded || c.AmountRefunded > 0) ?? false);

    private sealed class Counters
    {
        public int PagesRead;
        public int OrdersListed;
        public int OrdersFound;
        public int AnomalyRefundsEnqueued;
        public int ExternalRefunds;
        public int PingppCalls;
        public int NextPage;

        public OrderSweepSummary ToSummary(OrderSweepOutcome outcome, TimeSpan duration) => new()
        {
            Outcome = outcome,
            PagesRead = PagesRead,
            OrdersListed = OrdersListed,
            OrdersFound = OrdersFound,
            AnomalyRefundsEnqueued = AnomalyRefundsEnqueued,
            ExternalRefunds = ExternalRefunds,
            PingppCalls = PingppCalls,
            NextPage = NextPage,
            Duration = duration,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(6201, LogLevel.Information, "Order sweep: {Outcome}, {PagesRead} pages read, {OrdersListed} orders listed, {OrdersFound} found, {AnomalyRefundsEnqueued} anomaly refunds enqueued, {ExternalRefunds} external refunds recorded, {PingppCalls} Ping++ calls, next page {NextPage}, {DurationMs} ms")]
        public static partial void RunSummary(ILogger logger, string outcome, int pagesRead, int ordersListed, int ordersFound, int anomalyRefundsEnqueued,
            int externalRefunds, int pingppCalls, int nextPage, long durationMs);

        [LoggerMessage(6202, LogLevel.Information, "Order sweep started over orders created from {CreatedFrom} to {CreatedTo} (Unix seconds)")]
        public static partial void Started(ILogger logger, long createdFrom, long createdTo);

        [LoggerMessage(6203, LogLevel.Information, "Order sweep completed over orders created from {CreatedFrom} to {CreatedTo} (started {StartedAt})")]
        public static partial void Completed(ILogger logger, long createdFrom, long createdTo, DateTimeOffset? startedAt);

        [LoggerMessage(6204, LogLevel.Warning, "Order sweep found order {OrderId}, which none of our records point to: {Found}; done: {Done}")]
        public static partial void Found(ILogger logger, string orderId, string found, string done);

        [LoggerMessage(6205, LogLevel.Warning, "Order sweep rate limited by Ping++ at page {Page} (status {StatusCode}, retry after {RetryAfterSeconds} s); stopped, resumes next run from that page")]
        public static partial void RateLimited(ILogger logger, int page, int? statusCode, double? retryAfterSeconds);

        [LoggerMessage(6206, LogLevel.Error, "Order sweep stopped at page {Page}; it is read again next run")]
        public static partial void PageFailed(ILogger logger, Exception exception, int page);
    }
}
