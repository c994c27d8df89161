using Refunds.Core.Refunds;

namespace Refunds.Core.Anomalies;

/// <summary>
/// An abnormal payment of a Ping++ order (the guide's 注意事项) and the refunds that settle it.
/// </summary>
/// <param name="AmountToRefund">The whole paid amount (<see cref="AnomalyKind.PaidAfterCancel"/>) or the excess (<see cref="AnomalyKind.Overpaid"/>).</param>
/// <param name="Refunds">One refund per charge, in the order they are chosen; their amounts add up to <paramref name="AmountToRefund"/>.</param>
public sealed record PaymentAnomaly(
    string OrderId,
    AnomalyKind Kind,
    string? Status,
    long ActualAmount,
    long AmountPaid,
    long AmountRefunded,
    long AmountToRefund,
    IReadOnlyList<PlannedAnomalyRefund> Refunds)
{
    /// <summary>The refund requests that carry out the plan; parameters depend only on the plan, so they are the same every time.</summary>
    public IReadOnlyList<RefundRequest> ToRefundRequests() =>
    [
        .. Refunds.Select(r => new RefundRequest
        {
            RequestId = r.RequestId,
            OrderId = OrderId,
            Description = Kind == AnomalyKind.PaidAfterCancel
                ? "Refund of a payment made after the order was canceled"
                : "Refund of the amount paid in excess of the order",
            Charge = r.ChargeId,
            ChargeAmount = r.Amount,
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["anomaly"] = AnomalyRefundRequestIds.Slug(Kind) },
        }),
    ];
}

/// <summary>A refund of <paramref name="Amount"/> fen from one charge, under a deterministic request id.</summary>
public sealed record PlannedAnomalyRefund(string ChargeId, long Amount, string RequestId);
