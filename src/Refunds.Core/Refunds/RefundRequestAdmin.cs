using Refunds.Core.Ledger;

namespace Refunds.Core.Refunds;

/// <summary>What an admin requeue did for one request.</summary>
public sealed record RequeueResult(string RequestId, bool Requeued, RefundRequestState? State, string? Reason);

/// <summary>Admin actions on refund requests: hand dead-lettered requests back to the queue with their own request id.</summary>
public sealed class RefundRequestAdmin(IRequestStore ledger, RefundRequestQueue queue)
{
    /// <summary>
    /// DeadLettered → Received, then enqueued again (same request id: the processor looks up before it creates). An id
    /// that the id rule refuses names no request. <paramref name="requestedBy"/> (the operator) is recorded on the
    /// request with the state change.
    /// </summary>
    public async Task<RequeueResult> RequeueAsync(string requestId, string requestedBy, CancellationToken cancellationToken)
    {
        var record = RefundRequestRules.RequestIdProblem(requestId) is null
            ? await ledger.GetRequestAsync(requestId, cancellationToken).ConfigureAwait(false)
            : null;
        if (record is null)
        {
            return new RequeueResult(requestId, false, null, "unknown request id");
        }

        if (record.ToRefundRequest() is not { } request)
        {
            return new RequeueResult(requestId, false, record.State, "the record holds no valid request (rejected message)");
        }

        var moved = await ledger.RequeueDeadLetteredAsync(requestId, requestedBy, cancellationToken).ConfigureAwait(false);
        switch (moved.Outcome)
        {
            case RequestUpdateOutcome.Updated:
                break;
            case RequestUpdateOutcome.Unchanged when moved.Request?.State == RefundRequestState.Received:
                // A requeue whose enqueue failed earlier: enqueue again (a duplicate message is harmless).
                break;
            default:
                return new RequeueResult(requestId, false, moved.Request?.State ?? record.State, $"not dead-lettered (state {moved.Request?.State ?? record.State})");
        }

        await queue.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return new RequeueResult(requestId, true, RefundRequestState.Received, null);
    }

    /// <summary>Every dead-lettered request (at most <paramref name="maxItems"/>), each as <see cref="RequeueAsync"/>.</summary>
    public async Task<IReadOnlyList<RequeueResult>> RequeueAllDeadLetteredAsync(int maxItems, string requestedBy, CancellationToken cancellationToken)
    {
        var results = new List<RequeueResult>();
        foreach (var record in await ledger.ListRequestsInStateAsync(RefundRequestState.DeadLettered, maxItems, cancellationToken).ConfigureAwait(false))
        {
            results.Add(await RequeueAsync(record.RequestId, requestedBy, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }
}
