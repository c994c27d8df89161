using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.Anomalies;

/// <summary>
/// Detects abnormal payments on a Ping++ order and chooses the charges to refund. Pure: the plan depends only on the
/// order's charges (ids, amounts, payment times) and totals, never on the clock or on what was refunded since, so every
/// detection of the same anomaly yields the same requests.
/// </summary>
/// <remarks>
/// Charge choice:
/// <list type="bullet">
/// <item>Paid after cancellation: every paid charge is refunded in full (the whole paid amount), one request per charge.
/// Read from the charges, not from the order's status or paid flag (they change once anything is refunded).</item>
/// <item>Paid twice (<c>amount_paid &gt; actual_amount</c>): the excess comes back from the most recently paid charge
/// that covers it alone (the later payment is the surplus one, and one refund to one channel is easiest for the
/// payer); if none covers it, charges are taken newest first, each for min(its amount, what is left), until covered.
/// Ties on payment time are broken by charge id, descending, so the choice is deterministic.</item>
/// <item>A canceled order that was also paid twice is one anomaly: paid after cancellation (it refunds everything).</item>
/// </list>
/// </remarks>
public static class PaymentAnomalyRules
{
    public const string CanceledStatus = "canceled";

    /// <summary>
    /// The order's anomaly, read from its charges. Paid after cancellation does not depend on the order's
    /// <c>status</c> or <c>paid</c> flag, which turn <c>refunded</c> and false after any refund: an order that is
    /// canceled, or <paramref name="knownCanceled"/> (seen canceled and paid before, see
    /// <see cref="AnomalyStore.WasPaidAfterCancelAsync"/>), with paid charges refunds those charges in full.
    /// </summary>
    public static PaymentAnomaly? Detect(PingppOrder order, bool knownCanceled = false)
    {
        ArgumentNullException.ThrowIfNull(order);
        var charges = PaidChargesNewestFirst(order);
        if ((order.Status == CanceledStatus || knownCanceled) && charges.Count > 0)
        {
            var refunds = charges
                .Select(c => new PlannedAnomalyRefund(c.Id, c.Amount, AnomalyRefundRequestIds.For(order.Id, AnomalyKind.PaidAfterCancel, c.Id)))
                .ToList();
            return Anomaly(order, AnomalyKind.PaidAfterCancel, refunds.Sum(r => r.Amount), refunds);
        }

        if (order.AmountPaid > order.ActualAmount && order.ActualAmount >= 0)
        {
            var excess = order.AmountPaid - order.ActualAmount;
            return Anomaly(order, AnomalyKind.Overpaid, excess, ChooseForExcess(order.Id, charges, excess));
        }

        return null;
    }

    /// <summary>The charges to refund an excess from (see the type's remarks); short when the charges cannot cover it.</summary>
    public static IReadOnlyList<PlannedAnomalyRefund> ChooseForExcess(string orderId, IReadOnlyList<PingppCharge> newestFirst, long excess)
    {
        if (excess <= 0)
        {
            return [];
        }

        if (newestFirst.FirstOrDefault(c => c.Amount >= excess) is { } single)
        {
            return [new PlannedAnomalyRefund(single.Id, excess, AnomalyRefundRequestIds.For(orderId, AnomalyKind.Overpaid, single.Id))];
        }

        var plan = new List<PlannedAnomalyRefund>();
        var left = excess;
        foreach (var charge in newestFirst)
        {
            if (left == 0)
            {
                break;
            }

            var amount = Math.Min(charge.Amount, left);
            plan.Add(new PlannedAnomalyRefund(charge.Id, amount, AnomalyRefundRequestIds.For(orderId, AnomalyKind.Overpaid, charge.Id)));
            left -= amount;
        }

        return plan;
    }

    /// <summary>Paid charges with a positive amount, most recently paid first (ties: charge id descending).</summary>
    public static IReadOnlyList<PingppCharge> PaidChargesNewestFirst(PingppOrder order)
        => [
            .. (order.Charges?.Data ?? [])
                .Where(c => c.Paid && c.Amount > 0)
                .DistinctBy(c => c.Id)
                .OrderByDescending(c => c.TimePaid ?? c.Created)
                .ThenByDescending(c => c.Id, StringComparer.Ordinal),
        ];

    private static PaymentAnomaly Anomaly(PingppOrder order, AnomalyKind kind, long amount, IReadOnlyList<PlannedAnomalyRefund> refunds)
        => new(order.Id, kind, order.Status, order.ActualAmount, order.AmountPaid, order.AmountRefunded, amount, refunds);
}
