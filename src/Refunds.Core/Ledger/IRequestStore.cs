using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// The refund requests of the ledger: recording them, claiming them for a send, and every outcome of that send.
/// Every method is safe to call again with the same input (replays converge) and safe under concurrency (ETag
/// read-modify-write).
/// </summary>
public interface IRequestStore
{
    /// <summary>
    /// Records a new request in <see cref="RefundRequestState.Received"/>; on an existing id returns the stored one
    /// (compare <see cref="RefundRequestRecord.Fingerprint"/>), except that a validation rejection of the same id (a
    /// rejected record without a fingerprint) is replaced: a corrected message is performed, not dropped.
    /// </summary>
    Task<CreateRequestResult> CreateRequestAsync(RefundRequestRecord request, CancellationToken ct);

    /// <summary>
    /// <see cref="CreateRequestAsync"/> for a caller that sends the create right away: a request created now is created
    /// already claimed (Submitting, attempt 1, lease from <paramref name="now"/> or from the write when the approval gate
    /// took longer, the create's write-ahead recorded), as
    /// <see cref="TryBeginSendAsync"/> would leave it, in the one creating write. An existing request comes back as it is.
    /// </summary>
    Task<CreateRequestResult> CreateClaimedRequestAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct);

    Task<RefundRequestRecord?> GetRequestAsync(string requestId, CancellationToken ct);

    /// <summary>
    /// Takes the claim to call Ping++ for a request (Received, or Submitting with an expired lease). Only one caller
    /// can win. The lease must outlast the Ping++ call plus its timeout by a wide margin: once it expires another
    /// processor may claim, and it only avoids a second refund by listing first.
    /// </summary>
    Task<SubmitClaim> TryBeginSubmitAsync(string requestId, DateTimeOffset now, TimeSpan lease, CancellationToken ct);

    /// <summary>
    /// <see cref="TryBeginSubmitAsync"/> for a caller that sends the create right away: when no earlier create is in
    /// doubt, the claim also records the write-ahead of <see cref="RecordSendStartingAsync"/> in the same write
    /// (<see cref="SubmitClaim.SendMarked"/>). The request's order id finds its row without the lookup.
    /// </summary>
    Task<SubmitClaim> TryBeginSendAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct);

    /// <summary>
    /// Write-ahead before a create: <see cref="RefundRequestRecord.Uncertain"/> = true and
    /// <see cref="RefundRequestRecord.LastSendStartedAt"/> = <paramref name="now"/>. Only the holder of claim
    /// <paramref name="attempt"/> (still Submitting) succeeds (<see cref="RequestUpdateOutcome.Updated"/>); anything
    /// else is <see cref="RequestUpdateOutcome.NotAllowed"/> and the caller must not call Ping++.
    /// </summary>
    Task<RequestUpdateResult> RecordSendStartingAsync(string requestId, int attempt, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Gives claim <paramref name="attempt"/> back (Submitting → Received) so the retry can claim at once, keeping
    /// <paramref name="lastError"/>. <paramref name="definitelyNotSent"/>: this claim's create certainly did not reach
    /// Ping++ (rate limited, not sent), which clears <see cref="RefundRequestRecord.Uncertain"/> only if the uncertainty
    /// was set by this claim's own write-ahead; an older uncertainty (a lookup that did not finish) is kept. A claim
    /// that is no longer the caller's is left alone (<see cref="RequestUpdateOutcome.NotAllowed"/>).
    /// </summary>
    Task<RequestUpdateResult> ReleaseClaimAsync(string requestId, int attempt, bool definitelyNotSent, string lastError, CancellationToken ct);

    /// <summary>
    /// Notes a message with this request id that was not performed (different parameters, or an invalid duplicate of a
    /// valid request) on the existing record, without changing its state: count + last note with its raw text.
    /// </summary>
    Task<RequestUpdateResult> RecordIgnoredMessageAsync(string requestId, string note, CancellationToken ct);

    /// <summary>Ping++ answered the create with these refunds (or a listing found them by our request id).</summary>
    Task<RequestUpdateResult> RecordSubmittedAsync(string requestId, IReadOnlyList<PingppRefund> refunds, CancellationToken ct);

    /// <summary><see cref="RecordSubmittedAsync(string, IReadOnlyList{PingppRefund}, CancellationToken)"/>, finding the request by its order id first.</summary>
    Task<RequestUpdateResult> RecordSubmittedAsync(RefundRequestRecord request, IReadOnlyList<PingppRefund> refunds, CancellationToken ct);

    /// <summary>
    /// Ping++ rejected the create of claim <paramref name="attempt"/> (e.g. 400/402 with an error code). Only the holder
    /// of that claim (still Submitting) succeeds; anything else is <see cref="RequestUpdateOutcome.NotAllowed"/>.
    /// </summary>
    Task<RequestUpdateResult> RecordFailedAsync(string requestId, int attempt, string? code, string message, CancellationToken ct);

    /// <summary>
    /// The message was invalid; recorded with reasons and raw text (creates the record when none exists; a rejected
    /// record gets the latest reasons). An existing valid request is never moved to Rejected by an invalid message with
    /// its id: the message is noted on it (<see cref="RecordIgnoredMessageAsync"/>) and the result is
    /// <see cref="RequestUpdateOutcome.NotAllowed"/>.
    /// </summary>
    Task<RequestUpdateResult> RecordRejectedAsync(RefundRejection rejection, CancellationToken ct);

    /// <summary>
    /// The request's queue message was poisoned: DeadLettered with <paramref name="lastError"/>. Refused
    /// (<see cref="RequestUpdateOutcome.NotAllowed"/>) while a claim is live (Submitting, lease not expired) and from
    /// Submitted or a terminal state.
    /// </summary>
    Task<RequestUpdateResult> RecordDeadLetteredAsync(string requestId, string lastError, CancellationToken ct);

    /// <summary>
    /// Parks a request for a person (<see cref="RefundRequestState.NeedsReview"/>, <paramref name="reason"/> kept as its
    /// last error): a create may have reached Ping++ and the order's refunds cannot tell which is ours. With
    /// <paramref name="attempt"/>, only that claim's holder (still Submitting) may; without, a request nobody holds
    /// (Received, or Submitting with an expired lease). Anything else is <see cref="RequestUpdateOutcome.NotAllowed"/>.
    /// <see cref="RefundRequestRecord.Uncertain"/> stays set, so the order's create lock stays with it.
    /// </summary>
    Task<RequestUpdateResult> RecordNeedsReviewAsync(string requestId, int? attempt, string reason, CancellationToken ct);

    /// <summary>
    /// An operator's move (<see cref="OperatorMove"/>) with its actor and reason, recorded in the request's history in
    /// the same write. Refused (<see cref="RequestUpdateOutcome.NotAllowed"/>) when it does not apply in the request's
    /// current state; <see cref="RequestUpdateOutcome.Unchanged"/> for a requeue of a request already Received.
    /// </summary>
    Task<RequestUpdateResult> ApplyOperatorMoveAsync(string requestId, OperatorMove move, string actor, string? reason, CancellationToken ct);

    /// <summary>The request with every history entry, oldest first; null when unknown.</summary>
    Task<RequestWithHistory?> GetRequestWithHistoryAsync(string requestId, CancellationToken ct);

    /// <summary>Requests in <paramref name="state"/>, at most <paramref name="maxItems"/>. Scans the ledger table: for admin use, not hot paths.</summary>
    Task<IReadOnlyList<RefundRequestRecord>> ListRequestsInStateAsync(RefundRequestState state, int maxItems, CancellationToken ct);
}
