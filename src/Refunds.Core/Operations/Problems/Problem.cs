namespace Refunds.Core.Operations.Problems;

/// <summary>Something that needs a person (CONTRACT-23 problems item); <see cref="Since"/> orders the list, newest first.</summary>
public sealed record Problem
{
    public required string Kind { get; init; }

    /// <summary>The request id (request kinds), event id (<c>unapplied_webhook</c>), refund id (<c>unplaced_refund</c>), else the store's key.</summary>
    public required string Id { get; init; }

    public string? OrderId { get; init; }
    public string? RequestId { get; init; }
    public string? RefundId { get; init; }
    public string? EventId { get; init; }
    public long? Amount { get; init; }

    /// <summary>What happened, for a person.</summary>
    public required string Summary { get; init; }

    public required DateTimeOffset Since { get; init; }

    /// <summary>The request's state (API spelling) for request kinds and abnormal payments' refunds, else the store's outcome.</summary>
    public string? State { get; init; }

    public IReadOnlyList<string> Actions { get; init; } = [];
    public IReadOnlyDictionary<string, object?> Details { get; init; } = new Dictionary<string, object?>();
    public ProblemReview? Reviewed { get; init; }
}

/// <summary>Who marked a problem reviewed, when, and why.</summary>
public sealed record ProblemReview(string By, DateTimeOffset At, string Note);

/// <summary>The problem kinds of the contract and the actions an item may offer.</summary>
public static class ProblemKinds
{
    public const string DeadLettered = "dead_lettered", Rejected = "rejected", Failed = "failed", Stuck = "stuck",
        AwaitingApproval = "awaiting_approval", NeedsReview = "needs_review", Discrepancy = "discrepancy",
        AbnormalPayment = "abnormal_payment", UnplacedRefund = "unplaced_refund", UnappliedWebhook = "unapplied_webhook";

    public const string Requeue = "requeue", Approve = "approve", Deny = "deny", Cancel = "cancel", Review = "review", Reapply = "reapply";

    public static IReadOnlyList<string> All { get; } =
        [DeadLettered, Rejected, Failed, Stuck, AwaitingApproval, NeedsReview, Discrepancy, AbnormalPayment, UnplacedRefund, UnappliedWebhook];
}
