using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Anomalies;

/// <summary>
/// The abnormal-payment check on payment webhooks. Fast and idempotent: no Ping++ call. An order event is checked on
/// the order it carries; an anomaly is recorded and the order is marked for reconciliation, where the next run
/// retrieves the current order, lists its refunds and (in AutoRefund) enqueues the refund. A <c>charge.succeeded</c>
/// for a charge that its order did not have when the order event came (a second payment) marks that order too; one
/// that comes before any order event is kept in the merchant-order record, and the order event that follows marks the
/// order when it does not list that charge. No payment event is dropped for arriving first.
/// </summary>
public sealed partial class AnomalyPaymentEventObserver(
    AnomalyStore store,
    IRefundLedger ledger,
    IOptions<AnomalyOptions> options,
    Reconciliation.ReconciliationMetrics metrics,
    ILogger<AnomalyPaymentEventObserver> logger) : IPaymentEventObserver
{
    public const string MarkReasonPrefix = "anomaly ";

    public async Task OnOrderPaymentEventAsync(PingppEvent pingppEvent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pingppEvent);
        if (options.Value.Mode == AnomalyMode.Off)
        {
            return;
        }

        if (pingppEvent.Order is { } order)
        {
            if (order.MerchantOrderNo is { Length: > 0 } merchantNo)
            {
                var unlisted = await store.RememberOrderAsync(merchantNo, order.Id, order.Charges?.Data.Select(c => c.Id) ?? [], ct).ConfigureAwait(false);
                if (unlisted.Count > 0)
                {
                    var charges = string.Join(", ", unlisted);
                    await ledger.MarkOrderForReconciliationAsync(order.Id, $"{MarkReasonPrefix}charge(s) {charges} paid before the order event, which does not list them", ct).ConfigureAwait(false);
                    Log.EarlyChargesUnlisted(logger, order.Id, charges, pingppEvent.Id);
                }
            }

            var knownCanceled = order.Status != PaymentAnomalyRules.CanceledStatus && await store.WasPaidAfterCancelAsync(order.Id, ct).ConfigureAwait(false);
            if (PaymentAnomalyRules.Detect(order, knownCanceled) is not { } anomaly)
            {
                return;
            }

            var source = "webhook " + pingppEvent.Type;
            await store.RecordAsync(anomaly, "detected; checked at Ping++ by the next reconciliation run", source, ct, keepOutcome: true).ConfigureAwait(false);
            await ledger.MarkOrderForReconciliationAsync(order.Id, MarkReasonPrefix + AnomalyRefundRequestIds.Slug(anomaly.Kind), ct).ConfigureAwait(false);
            metrics.Anomaly(anomaly.Kind, "webhook");
            Log.Detected(logger, order.Id, AnomalyRefundRequestIds.Slug(anomaly.Kind), anomaly.AmountToRefund, pingppEvent.Id);
            return;
        }

        if (pingppEvent.Charge is { OrderNo: { Length: > 0 } merchantOrderNo } charge)
        {
            switch (await store.RememberChargeAsync(merchantOrderNo, charge.Id, ct).ConfigureAwait(false))
            {
                case { OrderId: { } orderId, NewToOrder: true }:
                    await ledger.MarkOrderForReconciliationAsync(orderId, $"{MarkReasonPrefix}charge {charge.Id} paid after the order event", ct).ConfigureAwait(false);
                    Log.ExtraCharge(logger, orderId, charge.Id, pingppEvent.Id);
                    break;
                case { OrderId: null }:
                    Log.ChargeBeforeOrder(logger, charge.Id, pingppEvent.Id);
                    break;
                case null:
                    Log.ChargeNotKept(logger, charge.Id, pingppEvent.Id);
                    break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Warning, "Abnormal payment {AnomalyKind} on order {OrderId}: {AmountToRefund} fen to refund (event {EventId}); marked for reconciliation")]
        public static partial void Detected(ILogger logger, string orderId, string anomalyKind, long amountToRefund, string eventId);

        [LoggerMessage(5002, LogLevel.Warning, "Charge {ChargeId} paid order {OrderId} after its order event (event {EventId}); marked for reconciliation")]
        public static partial void ExtraCharge(ILogger logger, string orderId, string chargeId, string eventId);

        [LoggerMessage(5003, LogLevel.Information, "Charge {ChargeId} paid before any order event of its merchant order (event {EventId}); kept until the order event comes")]
        public static partial void ChargeBeforeOrder(ILogger logger, string chargeId, string eventId);

        [LoggerMessage(5004, LogLevel.Warning, "Charge(s) {ChargeIds} paid before the order event of order {OrderId}, which does not list them (event {EventId}); marked for reconciliation")]
        public static partial void EarlyChargesUnlisted(ILogger logger, string orderId, string chargeIds, string eventId);

        [LoggerMessage(5005, LogLevel.Warning, "Charge {ChargeId} (event {EventId}) names a merchant order number that cannot be stored; a further payment of its order is found only by the order's own events")]
        public static partial void ChargeNotKept(ILogger logger, string chargeId, string eventId);
    }
}
