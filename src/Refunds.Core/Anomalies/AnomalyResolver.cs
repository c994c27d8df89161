using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;

namespace Refunds.Core.Anomalies;

/// <summary>What <see cref="AnomalyResolver.ResolveAsync"/> found and did.</summary>
public sealed record AnomalyResolution(PaymentAnomaly? Anomaly, int Enqueued, string? Outcome)
{
    public static readonly AnomalyResolution None = new(null, 0, null);
}

/// <summary>
/// Acts on an abnormal payment during reconciliation, with the current order and its refunds at Ping++ in hand.
/// Report: record + warning. AutoRefund: record the plan's requests in the ledger, then enqueue them through the normal
/// refund queue, each under its deterministic request id, unless the ledger or Ping++ already has that request id, or
/// it was handed to the queue less than a grace period ago. Anything not this plan's own stops the automatic refund
/// and leaves the anomaly for a person: a refund at Ping++ that is not ours for this plan (e.g. made in the dashboard),
/// or a request in the ledger that may still refund (e.g. an earlier plan's, before a further payment or a
/// cancellation changed the plan and its request ids). So money already committed is never planned a second time.
/// </summary>
public sealed partial class AnomalyResolver(
    AnomalyStore store,
    IRefundLedger refundLedger,
    RefundRequestQueue queue,
    ReconcileStateStore state,
    IOptions<AnomalyOptions> anomalyOptions,
    IOptions<ReconciliationOptions> reconciliationOptions,
    ReconciliationMetrics metrics,
    TimeProvider time,
    ILogger<AnomalyResolver> logger)
{
    public async Task<AnomalyResolution> ResolveAsync(PingppOrder order, IReadOnlyList<PingppRefund> atPingpp, OrderLedger ledger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(atPingpp);
        ArgumentNullException.ThrowIfNull(ledger);
        var mode = anomalyOptions.Value.Mode;
        if (mode == AnomalyMode.Off)
        {
            return AnomalyResolution.None;
        }

        var knownCanceled = order.Status != PaymentAnomalyRules.CanceledStatus && await store.WasPaidAfterCancelAsync(order.Id, ct).ConfigureAwait(false);
        if (PaymentAnomalyRules.Detect(order, knownCanceled) is not { } anomaly)
        {
            return AnomalyResolution.None;
        }

        var slug = AnomalyRefundRequestIds.Slug(anomaly.Kind);
        metrics.Anomaly(anomaly.Kind, "reconciliation");
        var enqueued = 0;
        string outcome;
        if (mode == AnomalyMode.Report)
        {
            outcome = "reported";
        }
        else
        {
            var plan = anomaly.ToRefundRequests();
            var foreign = atPingpp.Where(r => r.Status != PingppRefundStatus.Failed && !IsPlanned(r, plan)).ToList();
            var inFlight = RequestsOutsidePlan(ledger.Requests, plan);
            if (anomaly.Refunds.Sum(r => r.Amount) != anomaly.AmountToRefund)
            {
                outcome = "needs review: the paid charges do not cover the amount to refund";
            }
            else if (foreign.Count > 0)
            {
                outcome = $"needs review: the order has other refunds ({string.Join(", ", foreign.Select(r => r.Id))})";
            }
            else if (inFlight.Count > 0)
            {
                outcome = InFlightOutcome(inFlight);
            }
            else
            {
                (enqueued, outcome) = await RequestAsync(order.Id, slug, plan, ledger, atPingpp, ct).ConfigureAwait(false);
            }
        }

        await store.RecordAsync(anomaly, outcome, "reconciliation", ct).ConfigureAwait(false);
        Log.Anomaly(logger, order.Id, slug, anomaly.AmountPaid, anomaly.ActualAmount, anomaly.AmountToRefund, mode.ToString(), outcome);
        return new AnomalyResolution(anomaly, enqueued, outcome);
    }

    /// <summary>
    /// Records the plan's new requests in the ledger (Received) before anything is enqueued, so that from this moment
    /// they are in flight for every later plan of the order; then reads the order's requests again. A request outside
    /// this plan that appeared meanwhile (an overlapping run acting on another plan) parks the new ones for a person
    /// instead: of two such runs at least one sees the other's requests, so two plans never both go out. Requests the
    /// ledger already had are left to reconciliation's hand-back.
    /// </summary>
    private async Task<(int Enqueued, string Outcome)> RequestAsync(
        string orderId, string slug, IReadOnlyList<RefundRequest> plan, OrderLedger known, IReadOnlyList<PingppRefund> atPingpp, CancellationToken ct)
    {
        var recorded = new List<RefundRequest>();
        var held = new List<RefundRequest>();
        foreach (var request in plan)
        {
            var alreadyThere = known.Requests.Any(r => r.RequestId == request.RequestId) || atPingpp.Any(r => r.RequestId == request.RequestId);
            if (alreadyThere || RefundRequestRules.Validate(request).Count > 0)
            {
                continue;
            }

            var created = await refundLedger.CreateRequestAsync(request.ToLedgerRecord(), ct).ConfigureAwait(false);
            if (created.Created)
            {
                recorded.Add(request);
                if (created.Request.State == RefundRequestState.AwaitingApproval)
                {
                    held.Add(request);
                }
            }
        }

        if (recorded.Count == 0)
        {
            var waiting = known.Requests.Where(r => r.State == RefundRequestState.AwaitingApproval && plan.Any(p => p.RequestId == r.RequestId)).ToList();
            return (0, waiting.Count > 0 ? $"refund awaiting approval ({string.Join(", ", waiting.Select(r => r.RequestId))})" : "refund already requested");
        }

        var appeared = RequestsOutsidePlan((await refundLedger.ListOrderAsync(orderId, ct).ConfigureAwait(false)).Requests, plan);
        if (appeared.Count > 0)
        {
            var outcome = InFlightOutcome(appeared);
            foreach (var request in recorded)
            {
                await refundLedger.RecordNeedsReviewAsync(request.RequestId, attempt: null, outcome, ct).ConfigureAwait(false);
            }

            return (0, outcome);
        }

        var enqueued = 0;
        var grace = reconciliationOptions.Value.CreateGracePeriod;
        foreach (var request in recorded.Except(held))
        {
            if (await state.TryClaimEnqueueAsync(request.RequestId, time.GetUtcNow(), grace, ct).ConfigureAwait(false))
            {
                await queue.EnqueueAsync(request, ct).ConfigureAwait(false);
                enqueued++;
                Log.RefundEnqueued(logger, orderId, slug, request.RequestId, request.Charge, request.ChargeAmount);
            }
        }

        // Over an approval limit, the same as any refund: held for an operator, nothing enqueued or sent.
        List<string> done = enqueued > 0 ? [$"refund requested ({enqueued} request(s))"] : [];
        if (held.Count > 0)
        {
            done.Add($"refund awaiting approval ({string.Join(", ", held.Select(r => r.RequestId))})");
        }

        return (enqueued, done.Count > 0 ? string.Join("; ", done) : "refund already requested");
    }

    /// <summary>A refund at Ping++ that carries one of the plan's request ids, for the planned charge and amount.</summary>
    private static bool IsPlanned(PingppRefund refund, IReadOnlyList<RefundRequest> plan)
        => refund.RequestId is { } id && plan.Any(p => p.RequestId == id && p.Charge == refund.Charge && p.ChargeAmount == refund.Amount);

    /// <summary>
    /// The order's requests that may still refund and are not this plan's own (another id, or a planned id recorded
    /// for another charge or amount, e.g. an earlier plan's): committed money the plan does not account for. Only a
    /// rejected or canceled request (never sent) or a failed one (nothing refunded; a refund that lifts it appears at
    /// Ping++) is free.
    /// </summary>
    private static List<RefundRequestRecord> RequestsOutsidePlan(IReadOnlyList<RefundRequestRecord> requests, IReadOnlyList<RefundRequest> plan)
        => [
            .. requests.Where(r => r.State is not (RefundRequestState.Rejected or RefundRequestState.Failed or RefundRequestState.Canceled)
                && !plan.Any(p => p.RequestId == r.RequestId && p.Charge == r.Charge && p.ChargeAmount == r.ChargeAmount)),
        ];

    private static string InFlightOutcome(IEnumerable<RefundRequestRecord> inFlight)
        => $"needs review: the order has refund requests outside this plan that may still refund ({string.Join(", ", inFlight.Select(r => $"{r.RequestId} {r.State}"))})";

    private static partial class Log
    {
        [LoggerMessage(5101, LogLevel.Warning, "Abnormal payment {AnomalyKind} on order {OrderId}: paid {AmountPaid}, due {ActualAmount}, to refund {AmountToRefund} fen; mode {Mode}: {Outcome}")]
        public static partial void Anomaly(ILogger logger, string orderId, string anomalyKind, long amountPaid, long actualAmount, long amountToRefund, string mode, string outcome);

        [LoggerMessage(5102, LogLevel.Information, "Anomaly refund of order {OrderId} ({AnomalyKind}) enqueued as request {RequestId}: charge {ChargeId}, {Amount} fen")]
        public static partial void RefundEnqueued(ILogger logger, string orderId, string anomalyKind, string requestId, string? chargeId, long? amount);
    }
}
