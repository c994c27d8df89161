using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;

namespace Refunds.Functions.Refunds;

/// <summary>Admin (master key) endpoints: hand dead-lettered refund requests back to the queue with their own request id.</summary>
public sealed class RefundAdminFunctions(RefundRequestAdmin admin)
{
    /// <summary>Bounds one call; call again for more.</summary>
    public const int MaxRequeuePerCall = 500;

    [Function("RequeueRefundRequest")]
    public async Task<IActionResult> Requeue(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/requeue")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
    {
        if (RefundRequestRules.RequestIdProblem(requestId) is not null)
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund request id.");
        }

        var result = await admin.RequeueAsync(requestId, cancellationToken);
        var answer = new RequeueAnswer([Answer(result)]);
        return result switch
        {
            { Requeued: true } => ApiResults.Json(StatusCodes.Status200OK, answer),
            { State: null } => ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund request id.", requestId),
            _ => ApiResults.Json(StatusCodes.Status409Conflict, answer),
        };
    }

    [Function("RequeueDeadLetteredRefundRequests")]
    public async Task<IActionResult> RequeueAll(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/requeue-dead-lettered")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var results = await admin.RequeueAllDeadLetteredAsync(MaxRequeuePerCall, cancellationToken);
        return ApiResults.Json(StatusCodes.Status200OK, new RequeueAnswer([.. results.Select(Answer)]));
    }

    private static RequeueItem Answer(RequeueResult r) => new(r.RequestId, r.Requeued, r.State, r.Reason);

    private sealed record RequeueItem(string RequestId, bool Requeued, RefundRequestState? Status, string? Reason);

    private sealed record RequeueAnswer(IReadOnlyList<RequeueItem> Requeued);
}
