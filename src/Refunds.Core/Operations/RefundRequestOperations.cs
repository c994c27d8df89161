using Refunds.Core.Ledger;
using Refunds.Core.Refunds;

namespace Refunds.Core.Operations;

public enum OperatorOutcome
{
    /// <summary>Done (or already so, for a repeated requeue): <see cref="OperatorResult.View"/> is the request now.</summary>
    Done,

    /// <summary>The body or reason is not acceptable (400, naming the parameter).</summary>
    Invalid,

    NotFound,

    /// <summary>The action does not apply in the request's current state (409).</summary>
    NotAllowed,
}

/// <summary>What an operator action came to: the request's view (with history) or why not.</summary>
public sealed record OperatorResult(OperatorOutcome Outcome, RefundRequestView? View, string? Message);

/// <summary>What a bulk requeue did for one request.</summary>
public sealed record RequeueResult(string RequestId, bool Requeued, RefundRequestState? State, string? Reason);

/// <summary>
/// Operator actions on refund requests and their view: approve or deny a request held by a limit, cancel one that has
/// not reached Ping++, requeue a dead-lettered one, each recorded in the request's history with the operator
/// (<c>operator:&lt;caller id&gt;</c>) and the reason. Approve and requeue enqueue the request again under its own
/// request id (the processor looks up before it creates); if that enqueue fails, the request is Received and
/// reconciliation hands it back to the queue.
/// </summary>
public sealed class RefundRequestOperations(IRefundLedger ledger, RefundRequestQueue queue)
{
    /// <summary>The request with its history, approval and Ping++ refunds.</summary>
    public async Task<OperatorResult> GetAsync(string requestId, CancellationToken ct)
    {
        if (RefundRequestRules.RequestIdProblem(requestId) is not null
            || await ledger.GetRequestWithHistoryAsync(requestId, ct).ConfigureAwait(false) is not { } found)
        {
            return NotFound();
        }

        return new OperatorResult(OperatorOutcome.Done, await ViewAsync(found, ct).ConfigureAwait(false), null);
    }

    /// <param name="callerId">The operator's caller id (<c>key:&lt;name&gt;</c>, <c>entra:&lt;oid&gt;</c>), recorded as <c>operator:&lt;caller id&gt;</c>.</param>
    /// <param name="reason">Required for deny and cancel; optional for approve and requeue.</param>
    public async Task<OperatorResult> ActAsync(string requestId, OperatorMove move, string callerId, string? reason, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerId);
        if (reason is null && move is OperatorMove.Deny or OperatorMove.Cancel)
        {
            return new OperatorResult(OperatorOutcome.Invalid, null, $"'reason' is required to {Verb(move)} a refund request.");
        }

        var record = RefundRequestRules.RequestIdProblem(requestId) is null ? await ledger.GetRequestAsync(requestId, ct).ConfigureAwait(false) : null;
        if (record is null)
        {
            return NotFound();
        }

        var request = record.ToRefundRequest();
        if (request is null && move is OperatorMove.Approve or OperatorMove.Requeue)
        {
            return NotAllowed(record.State, move, "the record holds no valid request (rejected message)");
        }

        var moved = await ledger.ApplyOperatorMoveAsync(requestId, move, RequestActor.Operator(callerId), reason, ct).ConfigureAwait(false);
        switch (moved.Outcome)
        {
            case RequestUpdateOutcome.NotFound:
                return NotFound();
            case RequestUpdateOutcome.NotAllowed:
                return NotAllowed(moved.Request?.State ?? record.State, move, null);
        }

        if (move is OperatorMove.Approve or OperatorMove.Requeue)
        {
            // A requeue of a request already Received enqueues again (its earlier enqueue may have failed); a
            // duplicate message is harmless.
            await queue.EnqueueAsync(request!, ct).ConfigureAwait(false);
        }

        return await GetAsync(requestId, ct).ConfigureAwait(false);
    }

    /// <summary>Every dead-lettered request (at most <paramref name="maxItems"/>), each requeued as <see cref="ActAsync"/>.</summary>
    public async Task<IReadOnlyList<RequeueResult>> RequeueAllDeadLetteredAsync(int maxItems, string callerId, string? reason, CancellationToken ct)
    {
        var results = new List<RequeueResult>();
        foreach (var record in await ledger.ListRequestsInStateAsync(RefundRequestState.DeadLettered, maxItems, ct).ConfigureAwait(false))
        {
            var result = await ActAsync(record.RequestId, OperatorMove.Requeue, callerId, reason, ct).ConfigureAwait(false);
            results.Add(new RequeueResult(record.RequestId, result.Outcome == OperatorOutcome.Done, result.View?.Status ?? record.State, result.Message));
        }

        return results;
    }

    private async Task<RefundRequestView> ViewAsync(RequestWithHistory found, CancellationToken ct)
    {
        var record = found.Request;
        var refunds = record.RefundIds.Count == 0 || record.OrderId is null
            ? []
            : (await ledger.ListOrderAsync(record.OrderId, ct).ConfigureAwait(false)).Refunds;
        return RefundRequestView.From(record, refunds, found.History);
    }

    private static OperatorResult NotFound() => new(OperatorOutcome.NotFound, null, "Unknown refund request id.");

    private static OperatorResult NotAllowed(RefundRequestState state, OperatorMove move, string? why)
        => new(OperatorOutcome.NotAllowed, null,
            $"Cannot {Verb(move)} a refund request in state {System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString())}"
            + (why is null ? WhyNot(move) : ": " + why) + ".");

    private static string WhyNot(OperatorMove move) => move switch
    {
        OperatorMove.Approve or OperatorMove.Deny => ": only a request awaiting approval can be",
        OperatorMove.Cancel => ": only a request that has not reached Ping++ (received, awaiting approval, or dead-lettered before any send; not one already approved) can be",
        _ => ": only a dead-lettered request can be",
    } + (move == OperatorMove.Deny ? " denied" : move == OperatorMove.Approve ? " approved" : move == OperatorMove.Cancel ? " canceled" : " requeued");

    private static string Verb(OperatorMove move) => move.ToString().ToLowerInvariant();
}
