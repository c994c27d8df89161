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

    /// <summary>
    /// <see cref="Refunds.RefundRequest.Fingerprint"/> of the parameters; tells a redelivery (same) from a request id
    /// reused with different parameters. Null for a rejected message (no valid parameters).
    /// </summary>
    public string? Fingerprint { get; init; }

    public RefundRequestState State { get; init; } = RefundRequestState.Received;

    /// <summary>How many claims were taken (each claim may or may not have gone on to call Ping++).</summary>
    public int Attempt { get; init; }

    /// <summary>
    /// A create may have reached Ping++ and its outcome is not known: set before every create (write-ahead), cleared
    /// once the outcome is known (refunds recorded, Ping++ rejected it, or it certainly was not sent). While set, a
    /// processor lists the order's refunds before it creates again.
    /// </summary>
    public bool Uncertain { get; init; }

    /// <summary>When the last create that may have reached Ping++ started; the grace period counts from here.</summary>
    public DateTimeOffset? LastSendStartedAt { get; init; }

    public DateTimeOffset? SubmittingSince { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }
    public IReadOnlyList<string> RefundIds { get; init; } = [];
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public IReadOnlyList<string> RejectionReasons { get; init; } = [];

    /// <summary>
    /// The raw queue message of a rejected request. Stored over several table properties; beyond
    /// <c>LedgerEntities.MaxRawTextChars</c> it is cut and ends with a <c>[truncated …]</c> marker.
    /// </summary>
    public string? RawText { get; init; }

    /// <summary>Why the last attempt did not finish (Ping++ error, rate limit, grace period); reported when dead-lettered.</summary>
    public string? LastError { get; init; }

    /// <summary>Messages with this request id that were not performed: different parameters, or invalid duplicates.</summary>
    public int IgnoredMessages { get; init; }

    /// <summary>What the last ignored message was and why (with its raw text, truncated).</summary>
    public string? LastIgnoredMessage { get; init; }

    /// <summary>Who submitted it over HTTP (<c>entra:&lt;oid&gt;</c> or <c>key:&lt;name&gt;</c>); null for a request that came by the queue.</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>Why it waits (or waited) for an operator's approval, and the decision; null when no limit held it.</summary>
    public RequestApproval? Approval { get; init; }

    /// <summary>
    /// How many history entries it has (<see cref="RequestHistoryEntry"/>): every state change appends one, in the
    /// same transaction, numbered by this count, so entries are never lost, invented or rewritten.
    /// </summary>
    public int HistoryCount { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// The approval a request over a limit needs: the limits it crossed (<see cref="Reasons"/>), the amount the gate
/// judged (null when it could not be known: held, failing closed), and the operator's decision once taken.
/// </summary>
public sealed record RequestApproval
{
    public const string PerRequestLimit = "per_request_limit";
    public const string DailyLimit = "daily_limit";
    public const string AmountUnknown = "amount_unknown";

    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Canceled = "canceled";

    public required IReadOnlyList<string> Reasons { get; init; }
    public long? Amount { get; init; }

    /// <summary><see cref="Approved"/>, <see cref="Denied"/> or <see cref="Canceled"/>; null while it waits.</summary>
    public string? Decision { get; init; }

    public string? DecidedBy { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public string? Reason { get; init; }
}

/// <summary>
/// One state change of a request, as its history keeps it: when, from (null for the first entry) and to which state,
/// who (<see cref="RequestActor"/>: <c>system</c>, <c>function:&lt;name&gt;</c>, <c>operator:&lt;caller id&gt;</c>) and why.
/// </summary>
public sealed record RequestHistoryEntry(int Seq, DateTimeOffset At, RefundRequestState? From, RefundRequestState To, string Actor, string? Reason);

/// <summary>A request with its whole history, oldest entry first.</summary>
public sealed record RequestWithHistory(RefundRequestRecord Request, IReadOnlyList<RequestHistoryEntry> History);

/// <summary>An invalid refund message, recorded instead of dropped.</summary>
public sealed record RefundRejection
{
    /// <summary>The request id when the message had one, else the queue message id.</summary>
    public required string Id { get; init; }

    public string? OrderId { get; init; }
    public required IReadOnlyList<string> Reasons { get; init; }
    public string? RawText { get; init; }
}
