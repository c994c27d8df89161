namespace Refunds.Core.Reconciliation;

/// <summary>A disagreement between the ledger and Ping++ that reconciliation cannot explain or fix by itself.</summary>
public enum DiscrepancyKind
{
    /// <summary>Both sides have a final status and they differ (e.g. ledger succeeded, Ping++ failed).</summary>
    StatusConflict,

    /// <summary>The ledger has a final status but Ping++ still lists the refund as pending.</summary>
    LedgerAheadOfPingpp,

    /// <summary>The refund's amount differs between the ledger and Ping++.</summary>
    AmountMismatch,

    /// <summary>The ledger holds a refund of this order that Ping++ does not list.</summary>
    MissingAtPingpp,

    /// <summary>The order's <c>amount_refunded</c> differs from the sum of its succeeded refunds at Ping++.</summary>
    OrderAmountRefundedMismatch,

    /// <summary>An external refund (from a webhook) whose order is unknown, so it cannot be listed at Ping++.</summary>
    ExternalRefundOfUnknownOrder,

    /// <summary>
    /// A refund Ping++ lists for a finished order that none of our requests made (a dashboard refund, another system's)
    /// and no webhook told us of: found by a watch re-check and recorded in the ledger as external.
    /// </summary>
    ExternalRefundFound,
}

/// <summary>One discrepancy with both views, as text a person can read (amounts in fen).</summary>
/// <param name="Key">The order id, or the ledger key of an unknown-order refund.</param>
public sealed record Discrepancy(
    DiscrepancyKind Kind,
    string Key,
    string? RefundId,
    string? RequestId,
    string LedgerView,
    string PingppView);
