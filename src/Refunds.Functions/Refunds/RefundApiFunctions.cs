using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Http;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Refunds;

/// <summary>
/// Submit refund requests and read the ledger's view of an order's refunds (Ping++'s own view is an operator action:
/// <see cref="RefundLiveViewFunctions"/>).
/// </summary>
public sealed partial class RefundApiFunctions(
    RefundRequestIntake intake, RefundQueries queries, ILogger<RefundApiFunctions> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    [Function("SubmitRefund")]
    public async Task<IActionResult> Submit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "orders/{orderId}/refunds")] HttpRequest request,
        string orderId,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, RefundRequestRules.MaxMessageBytes, cancellationToken);
        if (body.IsTooLarge)
        {
            return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "too_large", $"The body is larger than {RefundRequestRules.MaxMessageBytes} bytes.");
        }

        var idempotencyKey = request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;
        RefundSubmission submission;
        using (RequestActor.Begin(RequestActor.Function("SubmitRefund")))
        {
            submission = await intake.SubmitAsync(body.Bytes, orderId, idempotencyKey, caller.Id, cancellationToken);
        }

        var location = $"/api/orders/{Uri.EscapeDataString(orderId)}/refunds/{Uri.EscapeDataString(submission.RequestId ?? "")}";
        switch (submission.Outcome)
        {
            case RefundSubmissionOutcome.Invalid:
                LogInvalid(logger, orderId, submission.Reasons.Count);
                return ApiResults.Json(StatusCodes.Status400BadRequest, new InvalidAnswer(
                    "invalid_request", submission.RequestId, [.. submission.Reasons.Select(r => new ReasonAnswer(r.Field, r.Reason))]));
            case RefundSubmissionOutcome.Conflict:
                LogConflict(logger, submission.RequestId!, orderId);
                return ApiResults.Error(StatusCodes.Status409Conflict, "request_id_conflict",
                    "This request id was already used for a refund request with different parameters.", submission.RequestId);
            default:
                request.HttpContext.Response.Headers.Location = location;
                LogAccepted(logger, submission.RequestId!, orderId, submission.Outcome.ToString(), caller.Id);
                return ApiResults.Json(
                    submission.Outcome == RefundSubmissionOutcome.Accepted ? StatusCodes.Status202Accepted : StatusCodes.Status200OK,
                    new AcceptedAnswer(submission.RequestId!, submission.Request!.State));
        }
    }

    [Function("ListOrderRefunds")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "orders/{orderId}/refunds")] HttpRequest request,
        string orderId,
        CancellationToken cancellationToken)
        => LiveViewMoved(request, orderId, null) ?? Answer(await queries.ListOrderAsync(orderId, cancellationToken));

    [Function("GetOrderRefund")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "orders/{orderId}/refunds/{id}")] HttpRequest request,
        string orderId,
        string id,
        CancellationToken cancellationToken)
        => LiveViewMoved(request, orderId, id) ?? Answer(await queries.GetAsync(orderId, id, cancellationToken));

    internal static IActionResult Answer(RefundLookup lookup)
        => lookup.View is { } view
            ? ApiResults.Json(StatusCodes.Status200OK, view)
            : ApiResults.Error(StatusCodes.Status404NotFound, "not_found", lookup.NotFoundReason!);

    /// <summary>
    /// <c>?source=pingpp</c> asked this route for Ping++'s live view, which is now an operator action on the admin route:
    /// a 400 that names it, rather than the ledger's view under a request for Ping++'s.
    /// </summary>
    private static ContentResult? LiveViewMoved(HttpRequest request, string orderId, string? id)
    {
        if (!string.Equals(request.Query["source"].ToString(), "pingpp", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!RefundQueries.IsLookupId(orderId, id))
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown order or refund id.");
        }

        var route = $"/api/{RefundLiveViewFunctions.RoutePrefix}/{Uri.EscapeDataString(orderId)}/refunds{(id is null ? "" : "/" + Uri.EscapeDataString(id))}";
        return ApiResults.Error(StatusCodes.Status400BadRequest, "source_not_served",
            $"This route reads the ledger only. Ping++'s live view is an operator action: GET {route} with the admin key.");
    }

    private sealed record AcceptedAnswer(string RequestId, RefundRequestState Status);

    private sealed record ReasonAnswer(string Field, string Reason);

    private sealed record InvalidAnswer(string Error, string? RequestId, IReadOnlyList<ReasonAnswer> Reasons);

    [LoggerMessage(3201, LogLevel.Information, "Refund request {RequestId} for order {OrderId} submitted over HTTP: {Outcome} (by {Caller})")]
    private static partial void LogAccepted(ILogger logger, string requestId, string orderId, string outcome, string caller);

    [LoggerMessage(3202, LogLevel.Information, "Refund request for order {OrderId} refused over HTTP: {ReasonCount} reasons")]
    private static partial void LogInvalid(ILogger logger, string orderId, int reasonCount);

    [LoggerMessage(3203, LogLevel.Warning, "Refund request {RequestId} for order {OrderId} submitted over HTTP with different parameters than before: 409")]
    private static partial void LogConflict(ILogger logger, string requestId, string orderId);
}
