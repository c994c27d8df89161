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

    /// <summary>Operator actions taken on it (requeue), oldest first; the last <see cref="OperatorAction.MaxKept"/> are kept.</summary>
    public IReadOnlyList<OperatorAction> OperatorActions { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An operator action on a refund request: what, by whom (<c>entra:&lt;oid&gt;</c> or <c>key:&lt;name&gt;</c>), when.</summary>
public sealed record OperatorAction(string Action, string By, DateTimeOffset At)
{
    public const string Requeue = "requeue";

    /// <summary>A record keeps this many (the logs keep every one).</summary>
    public const int MaxKept = 20;
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
