namespace Refunds.Core.Ledger;

/// <summary>What the ledger knows about a Ping++ order: its requests, its refunds and order-level facts.</summary>
public sealed record OrderLedger(
    string OrderId,
    OrderRecord? Order,
    IReadOnlyList<RefundRequestRecord> Requests,
    IReadOnlyList<RefundRecord> Refunds);

/// <summary>Order-level facts: amounts from <c>order.refunded</c> and the reconciliation mark.</summary>
public sealed record OrderRecord
{
    public required string OrderId { get; init; }
    public string? PingppStatus { get; init; }
    public bool? Paid { get; init; }
    public bool? Refunded { get; init; }
    public long? ActualAmount { get; init; }
    public long? AmountPaid { get; init; }

    /// <summary>Successfully refunded amount as Ping++ last reported it (never lowered by an older event).</summary>
    public long? AmountRefunded { get; init; }

    /// <summary>Set by <c>order.refunded</c> or the abnormal-payment check; cleared by reconciliation.</summary>
    public bool NeedsReconciliation { get; init; }

    public IReadOnlyList<string> ReconciliationReasons { get; init; } = [];
    public DateTimeOffset? MarkedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A row of the open-work index: a ledger partition with something to reconcile.</summary>
public sealed record OpenWorkItem
{
    /// <summary>The Ping++ order id; null for an external refund of an unknown order (see <see cref="RefundId"/>).</summary>
    public string? OrderId { get; init; }

    /// <summary>Set when the work is an external refund whose order is unknown; find its order through <see cref="ChargeId"/>.</summary>
    public string? RefundId { get; init; }

    public string? ChargeId { get; init; }

    /// <summary>Why it is open, e.g. <c>refund re_… pending</c>, <c>request r1 Submitting</c>.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Opaque key to hand back to <see cref="IOpenWorkIndex.RefreshOpenWorkAsync"/>.</summary>
    public required string LedgerKey { get; init; }
}

/// <summary>One page of open work; pass <see cref="Continuation"/> back until it is null.</summary>
public sealed record OpenWorkPage(IReadOnlyList<OpenWorkItem> Items, string? Continuation);
