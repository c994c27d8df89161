namespace Refunds.Core.Ledger;

/// <summary>Where a refund request is in its life. Allowed moves: <see cref="RefundRequestStateMachine"/>.</summary>
public enum RefundRequestState
{
    /// <summary>Recorded; not yet sent to Ping++.</summary>
    Received,

    /// <summary>A processor holds the claim (lease) and may be calling Ping++ right now.</summary>
    Submitting,

    /// <summary>Ping++ answered with one or more refunds, at least one still pending.</summary>
    Submitted,

    /// <summary>Terminal: every refund ended and at least one succeeded.</summary>
    Succeeded,

    /// <summary>Terminal: Ping++ rejected the request (code + message), or every refund failed.</summary>
    Failed,

    /// <summary>Terminal: the message was invalid (reasons + raw text kept); Ping++ was never called.</summary>
    Rejected,

    /// <summary>Poison: processing kept failing (last error kept). Can be re-enqueued, back to <see cref="Received"/>.</summary>
    DeadLettered,

    /// <summary>
    /// Parked for a person: a create may have reached Ping++ and the order's refunds cannot tell whether one is ours
    /// (no marker, and more than one unmarked refund could be). Never created again automatically; only refund evidence
    /// (our marker on a refund) or an operator moves it on. Reconciliation keeps looking for the evidence.
    /// </summary>
    NeedsReview,

    /// <summary>
    /// Over an approval limit (<c>Approval__*</c> settings): recorded, and nothing is sent to Ping++ until an operator
    /// approves (→ <see cref="Received"/>, re-enqueued), denies or cancels (→ <see cref="Canceled"/>). Holds no create
    /// lock and is not reconciliation's open work: nothing exists at Ping++ for it.
    /// </summary>
    AwaitingApproval,

    /// <summary>Terminal: an operator canceled or denied it before it reached Ping++; nothing was ever sent.</summary>
    Canceled,
}

/// <summary>The one place that says which request state may follow which, and what counts as open work.</summary>
public static class RefundRequestStateMachine
{
    private static readonly IReadOnlyDictionary<RefundRequestState, RefundRequestState[]> Moves = new Dictionary<RefundRequestState, RefundRequestState[]>
    {
        // Refund evidence (a webhook or a listing carrying our request id) may move any non-terminal request forward.
        [RefundRequestState.Received] =
            [RefundRequestState.Submitting, RefundRequestState.Submitted, RefundRequestState.Succeeded, RefundRequestState.Failed, RefundRequestState.Rejected, RefundRequestState.DeadLettered,
             RefundRequestState.NeedsReview, RefundRequestState.Canceled],
        // Submitting → Submitting is a re-claim after the lease expired (attempt + 1); Submitting → Received releases
        // the claim after an attempt that must be retried (rate limited, not sent, outcome unknown, grace period).
        [RefundRequestState.Submitting] =
            [RefundRequestState.Received, RefundRequestState.Submitting, RefundRequestState.Submitted, RefundRequestState.Succeeded, RefundRequestState.Failed, RefundRequestState.DeadLettered,
             RefundRequestState.NeedsReview],
        [RefundRequestState.Submitted] = [RefundRequestState.Succeeded, RefundRequestState.Failed],
        // Parked for a person: only refund evidence (a refund with our marker) moves it; nothing re-creates it.
        [RefundRequestState.NeedsReview] = [RefundRequestState.Submitted, RefundRequestState.Succeeded, RefundRequestState.Failed],
        // → Canceled only for a request that never started a send (the ledger checks; see RefundLedger.Operator).
        [RefundRequestState.DeadLettered] =
            [RefundRequestState.Received, RefundRequestState.Submitted, RefundRequestState.Succeeded, RefundRequestState.Failed, RefundRequestState.Canceled],
        // Nothing was sent: only an operator moves it (approve → Received; deny or cancel → Canceled).
        [RefundRequestState.AwaitingApproval] = [RefundRequestState.Received, RefundRequestState.Canceled],
        // Never reached Ping++, so no refund evidence can lift it; a refund that names it anyway is kept as reported.
        [RefundRequestState.Canceled] = [],
        [RefundRequestState.Succeeded] = [],
        // Failed ends processing, but not the truth: a refund of this request (by our marker) that Ping++ reports
        // later, e.g. from a stale holder's create, lifts it to what the refunds say, so no caller retries a refund
        // that happened.
        [RefundRequestState.Failed] = [RefundRequestState.Submitted, RefundRequestState.Succeeded],
        // A validation rejection recorded no parameters and sent nothing: a corrected message with the same request id
        // replaces it (a producer fixing its message must not be silently dropped). The ledger allows this only for a
        // rejected record without a fingerprint, i.e. one that never held a valid request.
        // The corrected message may be over an approval limit.
        [RefundRequestState.Rejected] = [RefundRequestState.Received, RefundRequestState.AwaitingApproval],
    };

    /// <summary>True when <paramref name="from"/> → <paramref name="to"/> is an allowed move. Staying put is not a move.</summary>
    public static bool CanMove(RefundRequestState from, RefundRequestState to) => Moves[from].Contains(to);

    public static IReadOnlyList<RefundRequestState> AllowedMoves(RefundRequestState from) => Moves[from];

    public static bool IsTerminal(RefundRequestState state)
        => state is RefundRequestState.Succeeded or RefundRequestState.Failed or RefundRequestState.Rejected or RefundRequestState.Canceled;

    /// <summary>
    /// Whether an operator may cancel a request in <paramref name="state"/>: only one that cannot have reached Ping++
    /// (Received, AwaitingApproval, or DeadLettered) and never started a create (<paramref name="neverSent"/>: no
    /// write-ahead, nothing uncertain, no refund). A dead-lettered request with attempt 0 always qualifies.
    /// </summary>
    public static bool MayCancel(RefundRequestState state, bool neverSent)
        => neverSent && state is RefundRequestState.Received or RefundRequestState.AwaitingApproval or RefundRequestState.DeadLettered;

    /// <summary>
    /// Open work for reconciliation: anything not terminal (a request parked for review included: its evidence may
    /// still appear), except a dead-lettered request that never reached
    /// Ping++ (attempt 0) and a request awaiting approval: nothing can exist at Ping++ for them until they are
    /// re-enqueued or approved.
    /// </summary>
    public static bool IsOpen(RefundRequestState state, int attempt)
        => state switch
        {
            RefundRequestState.Received or RefundRequestState.Submitting or RefundRequestState.Submitted or RefundRequestState.NeedsReview => true,
            RefundRequestState.DeadLettered => attempt > 0,
            _ => false,
        };

    /// <summary>The state a request's refunds imply: none or any pending → Submitted; all final → Succeeded if any succeeded, else Failed.</summary>
    public static RefundRequestState StateForRefunds(IEnumerable<Pingpp.PingppRefundStatus> statuses)
    {
        var any = false;
        var anySucceeded = false;
        foreach (var status in statuses)
        {
            any = true;
            if (status == Pingpp.PingppRefundStatus.Pending)
            {
                return RefundRequestState.Submitted;
            }

            anySucceeded |= status == Pingpp.PingppRefundStatus.Succeeded;
        }

        return !any ? RefundRequestState.Submitted : anySucceeded ? RefundRequestState.Succeeded : RefundRequestState.Failed;
    }
}
