using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Refunds;

/// <summary>
/// Admin (master key) endpoints: hand dead-lettered refund requests back to the queue with their own request id; the
/// operator (<c>key:master</c>, or <c>entra:&lt;oid&gt;</c> through <see cref="EntraRefundFunctions"/>) is recorded on each.
/// </summary>
public sealed partial class RefundAdminFunctions(RefundRequestAdmin admin, ILogger<RefundAdminFunctions> logger)
{
    /// <summary>Bounds one call; call again for more.</summary>
    public const int MaxRequeuePerCall = 500;

    [Function("RequeueRefundRequest")]
    public async Task<IActionResult> Requeue(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/requeue")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        if (RefundRequestRules.RequestIdProblem(requestId) is not null)
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund request id.");
        }

        var result = await admin.RequeueAsync(requestId, caller.Id, cancellationToken);
        LogRequeued(logger, caller.Id, 1, result.Requeued ? 1 : 0);
        var answer = new RequeueAnswer(caller.Id, [Answer(result)]);
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
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        var results = await admin.RequeueAllDeadLetteredAsync(MaxRequeuePerCall, caller.Id, cancellationToken);
        LogRequeued(logger, caller.Id, results.Count, results.Count(r => r.Requeued));
        return ApiResults.Json(StatusCodes.Status200OK, new RequeueAnswer(caller.Id, [.. results.Select(Answer)]));
    }

    private static RequeueItem Answer(RequeueResult r) => new(r.RequestId, r.Requeued, r.State, r.Reason);

    private sealed record RequeueItem(string RequestId, bool Requeued, RefundRequestState? Status, string? Reason);

    /// <param name="RequestedBy">The operator recorded on every requeued request: <c>entra:&lt;oid&gt;</c> or <c>key:&lt;name&gt;</c>.</param>
    private sealed record RequeueAnswer(string RequestedBy, IReadOnlyList<RequeueItem> Requeued);

    [LoggerMessage(3301, LogLevel.Information, "Operator {Caller} asked to requeue {Asked} refund requests: {Requeued} requeued")]
    private static partial void LogRequeued(ILogger logger, string caller, int asked, int requeued);
}
