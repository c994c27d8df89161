namespace Refunds.Core.Ledger;

/// <summary>What an operator asks of one refund request.</summary>
public enum OperatorMove
{
    /// <summary>AwaitingApproval → Received (the caller re-enqueues it).</summary>
    Approve,

    /// <summary>AwaitingApproval → Canceled.</summary>
    Deny,

    /// <summary>A request that never reached Ping++ (Received, AwaitingApproval, DeadLettered; never sent) → Canceled.</summary>
    Cancel,

    /// <summary>DeadLettered → Received (the caller re-enqueues it); Received stays as it is (enqueue again).</summary>
    Requeue,
}

/// <summary>Operator moves on a request: approve, deny, cancel, requeue, each with its actor and reason in the history.</summary>
public sealed partial class RefundLedger
{
    /// <summary>
    /// Applies <paramref name="move"/> with the request's ETag: of two racing moves exactly one applies, the other
    /// re-reads and is refused (<see cref="RequestUpdateOutcome.NotAllowed"/>) when its move no longer applies.
    /// <paramref name="actor"/> (<c>operator:&lt;caller id&gt;</c>) and <paramref name="reason"/> go into the history
    /// entry (and into <see cref="RefundRequestRecord.Approval"/> for approve, deny and a cancel of a held request).
    /// </summary>
    public async Task<RequestUpdateResult> ApplyOperatorMoveAsync(string requestId, OperatorMove move, string actor, string? reason, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var at = Now;
        RefundRequestState? from = null;
        var result = await MutateRequestAsync(requestId, r =>
        {
            from = r.State;
            var next = Apply(r, move, actor, reason, at);
            if (next is null)
            {
                Log.MoveRefused(_logger, requestId, r.OrderId, r.State.ToString(), move.ToString());
            }

            return next;
        }, ct, reason: reason, actor: actor).ConfigureAwait(false);
        if (result is { Outcome: RequestUpdateOutcome.Updated, Request: { } after })
        {
            Log.OperatorMoved(_logger, actor, requestId, after.OrderId, from.ToString()!, after.State.ToString(), move.ToString(), reason);
        }

        return result;
    }

    /// <summary>The request after <paramref name="move"/>, or null when the move does not apply in its state.</summary>
    internal static RefundRequestRecord? Apply(RefundRequestRecord r, OperatorMove move, string actor, string? reason, DateTimeOffset at)
    {
        RequestApproval Decided(string decision) => (r.Approval ?? new RequestApproval { Reasons = [] }) with
        {
            Decision = decision,
            DecidedBy = actor,
            DecidedAt = at,
            Reason = reason,
        };

        return move switch
        {
            OperatorMove.Approve when r.State == RefundRequestState.AwaitingApproval
                => r with { State = RefundRequestState.Received, Approval = Decided(RequestApproval.Approved) },
            OperatorMove.Deny when r.State == RefundRequestState.AwaitingApproval
                => r with { State = RefundRequestState.Canceled, Approval = Decided(RequestApproval.Denied) },
            // An approved request on its way to Ping++ is not canceled: the approval decided it (so an approve and a
            // cancel racing on a held request end with exactly one applied, whichever order they commit in).
            OperatorMove.Cancel when RefundRequestStateMachine.MayCancel(r.State, NeverSent(r))
                                     && !(r.State == RefundRequestState.Received && r.Approval?.Decision == RequestApproval.Approved)
                => r with
                {
                    State = RefundRequestState.Canceled,
                    LeaseUntil = null,
                    Approval = r.State == RefundRequestState.AwaitingApproval ? Decided(RequestApproval.Canceled) : r.Approval,
                },
            OperatorMove.Requeue when r.State == RefundRequestState.Received => r,
            OperatorMove.Requeue when r.State == RefundRequestState.DeadLettered => r with { State = RefundRequestState.Received },
            _ => null,
        };
    }

    /// <summary>No create was ever started for it (no write-ahead, nothing in doubt, no refund): nothing can exist at Ping++.</summary>
    internal static bool NeverSent(RefundRequestRecord r) => r.LastSendStartedAt is null && !r.Uncertain && r.RefundIds.Count == 0;
}
