using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// What Ping++ reports about refunds and orders, merged into the ledger (webhooks, listings), and the reads of it.
/// Monotonic and idempotent: a report applied twice changes nothing the second time.
/// </summary>
public interface IRefundMerge
{
    /// <summary>
    /// Merges a refund reported by Ping++ (webhook or listing). Finds it by refund id, else by the request id in its
    /// metadata, else records it as external (under <paramref name="orderIdIfKnown"/>, or findable by refund id only
    /// and marked for reconciliation). Monotonic: status never moves back.
    /// </summary>
    Task<RefundApplyResult> ApplyRefundAsync(PingppRefund refund, string? orderIdIfKnown, CancellationToken ct);

    Task<RefundRecord?> GetRefundAsync(string refundId, CancellationToken ct);

    /// <summary>Requests, refunds and order facts of one order (point reads of the rows its members row lists).</summary>
    Task<OrderLedger> ListOrderAsync(string orderId, CancellationToken ct);

    /// <summary>Records the amounts of an <c>order.refunded</c> event and marks the order for reconciliation.</summary>
    Task RecordOrderRefundedAsync(PingppOrder order, CancellationToken ct);
}
