namespace Refunds.Core.Ledger;

/// <summary>Result of <see cref="IRefundLedger.CreateRequestAsync"/>: created now, or the request that already had this id.</summary>
public sealed record CreateRequestResult(bool Created, RefundRequestRecord Request);

public enum SubmitClaimOutcome
{
    /// <summary>The caller holds the lease and may call Ping++ (after listing first when <see cref="SubmitClaim.MayHaveReachedPingpp"/>).</summary>
    Claimed,

    /// <summary>Another processor holds an unexpired lease; do not call Ping++.</summary>
    HeldByOther,

    /// <summary>The request is past submitting (or rejected / dead-lettered): nothing to do.</summary>
    NotClaimable,

    NotFound,

    /// <summary>
    /// Not claimed: another request of the same order has a create whose outcome is unknown (one create in flight per
    /// order). Retry later.
    /// </summary>
    OrderBusy,
}

/// <summary>Result of <see cref="IRefundLedger.TryBeginSubmitAsync"/>.</summary>
public sealed record SubmitClaim(SubmitClaimOutcome Outcome, RefundRequestRecord? Request)
{
    /// <summary>
    /// An earlier create may have reached Ping++ with an unknown outcome (<see cref="RefundRequestRecord.Uncertain"/>):
    /// list the order's refunds and look for our request id before creating; if none is found, create only once
    /// <see cref="RefundRequestRecord.LastSendStartedAt"/> is older than the grace period.
    /// </summary>
    public bool MayHaveReachedPingpp => Outcome == SubmitClaimOutcome.Claimed && !SendMarked && Request is { Uncertain: true };

    /// <summary>
    /// The claim also recorded the create's write-ahead (<see cref="IRefundLedger.TryBeginSendAsync"/>): the caller
    /// calls Ping++ now, without <see cref="IRefundLedger.RecordSendStartingAsync"/>.
    /// </summary>
    public bool SendMarked { get; init; }
}

public enum RequestUpdateOutcome
{
    Updated,

    /// <summary>Already in that state with the same data (a replay).</summary>
    Unchanged,

    /// <summary>The state machine forbids the move; nothing written.</summary>
    NotAllowed,

    NotFound,
}

/// <summary>Result of a request state change; <see cref="Request"/> is the record after the call (null when not found).</summary>
public sealed record RequestUpdateResult(RequestUpdateOutcome Outcome, RefundRequestRecord? Request);

public enum RefundApplyOutcome
{
    /// <summary>First time the ledger sees this refund.</summary>
    Created,

    /// <summary>Status moved forward or fields were filled in.</summary>
    Updated,

    /// <summary>Nothing new (duplicate, replay or an older status).</summary>
    Unchanged,
}

/// <summary>Result of <see cref="IRefundLedger.ApplyRefundAsync"/>.</summary>
public sealed record RefundApplyResult(RefundApplyOutcome Outcome, RefundRecord Refund)
{
    public bool Changed => Outcome != RefundApplyOutcome.Unchanged;
}
