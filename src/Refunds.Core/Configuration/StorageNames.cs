namespace Refunds.Core.Configuration;

/// <summary>Queue and table names shared by the code and the Bicep templates (a test holds them together).</summary>
public static class StorageNames
{
    public const string DefaultRefundRequestsQueue = "refund-requests";

    /// <summary>The Functions host moves a message here after <c>maxDequeueCount</c> failed attempts.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>Every verified Ping++ event, raw bytes included, once per event id.</summary>
    public const string WebhookEventsTable = "WebhookEvents";

    /// <summary>Refund requests, refunds, order records and their lookup rows.</summary>
    public const string RefundLedgerTable = "RefundLedger";

    /// <summary>Orders with open work; reconciliation reads only this table, so a run costs O(open).</summary>
    public const string ReconcileIndexTable = "ReconcileIndex";

    /// <summary>Disagreements with Ping++ that reconciliation could not explain.</summary>
    public const string DiscrepanciesTable = "Discrepancies";

    /// <summary>Abnormal payments (paid after cancellation, paid twice) and what was done about them.</summary>
    public const string AnomaliesTable = "Anomalies";

    /// <summary>Search hints for refund requests (by created day, state and charge); verified against the ledger on read.</summary>
    public const string RequestIndexTable = "RequestIndex";

    /// <summary>Problems an operator marked reviewed (who, when, note).</summary>
    public const string ProblemReviewsTable = "ProblemReviews";

    public static IReadOnlyList<string> AllTables { get; } =
        [WebhookEventsTable, RefundLedgerTable, ReconcileIndexTable, DiscrepanciesTable, AnomaliesTable, RequestIndexTable, ProblemReviewsTable];
}
