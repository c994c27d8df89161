using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Http;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Functions.Security;

namespace Refunds.Functions.Refunds;

/// <summary>
/// Admin (master key) endpoints on refund requests: the request with its history, and the operator actions approve,
/// deny, cancel and requeue (body <c>{"reason":"…"}</c>). The operator (<c>key:master</c>, or <c>entra:&lt;oid&gt;</c>
/// through <see cref="EntraRefundFunctions"/>) is recorded in the history as <c>operator:&lt;caller id&gt;</c>.
/// </summary>
public sealed partial class RefundAdminFunctions(RefundRequestOperations operations, ILogger<RefundAdminFunctions> logger)
{
    /// <summary>Bounds one call; call again for more.</summary>
    public const int MaxRequeuePerCall = 500;

    /// <summary>A reason is at most 1000 characters; the body around it gets room for JSON escapes.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    [Function("GetRefundRequest")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/refund-requests/{requestId}")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => RequestCallers.Of(request) is null ? RequestCallers.Unidentified() : Answer(await operations.GetAsync(requestId, cancellationToken));

    [Function("ApproveRefundRequest")]
    public Task<IActionResult> Approve(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/approve")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => ActAsync(request, requestId, OperatorMove.Approve, cancellationToken);

    [Function("DenyRefundRequest")]
    public Task<IActionResult> Deny(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/deny")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => ActAsync(request, requestId, OperatorMove.Deny, cancellationToken);

    [Function("CancelRefundRequest")]
    public Task<IActionResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/cancel")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => ActAsync(request, requestId, OperatorMove.Cancel, cancellationToken);

    [Function("RequeueRefundRequest")]
    public Task<IActionResult> Requeue(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/{requestId}/requeue")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => ActAsync(request, requestId, OperatorMove.Requeue, cancellationToken);

    [Function("RequeueDeadLetteredRefundRequests")]
    public async Task<IActionResult> RequeueAll(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/refund-requests/requeue-dead-lettered")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        var (reason, problem) = await ReadReasonAsync(request, cancellationToken);
        if (problem is not null)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "invalid_parameter", problem);
        }

        var results = await operations.RequeueAllDeadLetteredAsync(MaxRequeuePerCall, caller.Id, reason, cancellationToken);
        LogActed(logger, caller.Id, nameof(OperatorMove.Requeue), results.Count, results.Count(r => r.Requeued));
        return ApiResults.Json(StatusCodes.Status200OK, new RequeueAnswer(caller.Id, [.. results.Select(r => new RequeueItem(r.RequestId, r.Requeued, r.State, r.Reason))]));
    }

    private async Task<IActionResult> ActAsync(HttpRequest request, string requestId, OperatorMove move, CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        var (reason, problem) = await ReadReasonAsync(request, cancellationToken);
        if (problem is not null)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "invalid_parameter", problem, requestId);
        }

        var result = await operations.ActAsync(requestId, move, caller.Id, reason, cancellationToken);
        LogActed(logger, caller.Id, move.ToString(), 1, result.Outcome == OperatorOutcome.Done ? 1 : 0);
        return Answer(result);
    }

    private static async Task<(string? Reason, string? Problem)> ReadReasonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, MaxBodyBytes, cancellationToken);
        return body.IsTooLarge
            ? (null, $"The body is larger than {MaxBodyBytes} bytes; 'reason' is at most {OperatorReason.MaxChars} characters.")
            : OperatorReason.Parse(body.Bytes.Span);
    }

    private static IActionResult Answer(OperatorResult result) => result.Outcome switch
    {
        OperatorOutcome.Done => ApiResults.Json(StatusCodes.Status200OK, result.View!),
        OperatorOutcome.Invalid => ApiResults.Error(StatusCodes.Status400BadRequest, "invalid_parameter", result.Message!),
        OperatorOutcome.NotFound => ApiResults.Error(StatusCodes.Status404NotFound, "not_found", result.Message!),
        _ => ApiResults.Error(StatusCodes.Status409Conflict, "not_allowed", result.Message!),
    };

    private sealed record RequeueItem(string RequestId, bool Requeued, RefundRequestState? Status, string? Reason);

    /// <param name="RequestedBy">The operator recorded on every requeued request: <c>entra:&lt;oid&gt;</c> or <c>key:&lt;name&gt;</c>.</param>
    private sealed record RequeueAnswer(string RequestedBy, IReadOnlyList<RequeueItem> Requeued);

    [LoggerMessage(3301, LogLevel.Information, "Operator {Caller} asked to {Action} {Asked} refund requests: {Done} done")]
    private static partial void LogActed(ILogger logger, string caller, string action, int asked, int done);
}
