using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// A refund request as the ledger keeps it: every Ping++ refund parameter (so it can be performed or re-enqueued
/// later) and its processing state.
/// </summary>
public sealed record RefundRequestRecord
{
    /// <summary>Our id; also written into the Ping++ refund's metadata (<c>refund_request_id</c>).</summary>
    public required string RequestId { get; init; }

    /// <summary>The Ping++ order id (19 digits). Null only for a rejected message whose order could not be read.</summary>
    public required string? OrderId { get; init; }

    public string? Description { get; init; }
    public string? Charge { get; init; }
    public long? ChargeAmount { get; init; }
    public string? RefundMode { get; init; }
    public string? FundingSource { get; init; }
    public IReadOnlyList<RoyaltyUserRefund>? RoyaltyUsers { get; init; }

    /// <summary>Metadata to send to Ping++ besides our request id.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public RefundRequestState State { get; init; } = RefundRequestState.Received;

    /// <summary>How many claims were taken. Above zero means Ping++ may have been called: list the order's refunds before creating.</summary>
    public int Attempt { get; init; }

    public DateTimeOffset? SubmittingSince { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }
    public IReadOnlyList<string> RefundIds { get; init; } = [];
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public IReadOnlyList<string> RejectionReasons { get; init; } = [];

    /// <summary>The raw queue message of a rejected request (truncated to what a table property holds).</summary>
    public string? RawText { get; init; }

    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An invalid refund message, recorded instead of dropped.</summary>
public sealed record RefundRejection
{
    /// <summary>The request id when the message had one, else the queue message id.</summary>
    public required string Id { get; init; }

    public string? OrderId { get; init; }
    public required IReadOnlyList<string> Reasons { get; init; }
    public string? RawText { get; init; }
}
