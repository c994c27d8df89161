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
/// Report: record + warning. AutoRefund: enqueue the plan's requests through the normal refund queue, each under its
/// deterministic request id, unless the ledger or Ping++ already has that request id, or it was handed to the queue
/// less than a grace period ago. Refunds that are not ours for this anomaly (e.g. made in the dashboard) stop the
/// automatic refund: someone may already have refunded the payer, so the anomaly is left for a person.
/// </summary>
public sealed partial class AnomalyResolver(
    AnomalyStore store,
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
            var planned = anomaly.Refunds.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
            var foreign = atPingpp.Where(r => r.Status != PingppRefundStatus.Failed && (r.RequestId is null || !planned.Contains(r.RequestId))).ToList();
            if (anomaly.Refunds.Sum(r => r.Amount) != anomaly.AmountToRefund)
            {
                outcome = "needs review: the paid charges do not cover the amount to refund";
            }
            else if (foreign.Count > 0)
            {
                outcome = $"needs review: the order has other refunds ({string.Join(", ", foreign.Select(r => r.Id))})";
            }
            else
            {
                var grace = reconciliationOptions.Value.CreateGracePeriod;
                foreach (var request in anomaly.ToRefundRequests())
                {
                    var alreadyThere = ledger.Requests.Any(r => r.RequestId == request.RequestId) || atPingpp.Any(r => r.RequestId == request.RequestId);
                    if (alreadyThere || RefundRequestRules.Validate(request).Count > 0
                        || !await state.TryClaimEnqueueAsync(request.RequestId, time.GetUtcNow(), grace, ct).ConfigureAwait(false))
                    {
                        continue;
                    }

                    await queue.EnqueueAsync(request, ct).ConfigureAwait(false);
                    enqueued++;
                    Log.RefundEnqueued(logger, order.Id, slug, request.RequestId, request.Charge, request.ChargeAmount);
                }

                outcome = enqueued > 0 ? $"refund requested ({enqueued} request(s))" : "refund already requested";
            }
        }

        await store.RecordAsync(anomaly, outcome, "reconciliation", ct).ConfigureAwait(false);
        Log.Anomaly(logger, order.Id, slug, anomaly.AmountPaid, anomaly.ActualAmount, anomaly.AmountToRefund, mode.ToString(), outcome);
        return new AnomalyResolution(anomaly, enqueued, outcome);
    }

    private static partial class Log
    {
        [LoggerMessage(5101, LogLevel.Warning, "Abnormal payment {AnomalyKind} on order {OrderId}: paid {AmountPaid}, due {ActualAmount}, to refund {AmountToRefund} fen; mode {Mode}: {Outcome}")]
        public static partial void Anomaly(ILogger logger, string orderId, string anomalyKind, long amountPaid, long actualAmount, long amountToRefund, string mode, string outcome);

        [LoggerMessage(5102, LogLevel.Information, "Anomaly refund of order {OrderId} ({AnomalyKind}) enqueued as request {RequestId}: charge {ChargeId}, {Amount} fen")]
        public static partial void RefundEnqueued(ILogger logger, string orderId, string anomalyKind, string requestId, string? chargeId, long? amount);
    }
}
