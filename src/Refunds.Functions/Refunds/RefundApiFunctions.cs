using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Refunds;

/// <summary>Submit refund requests and read the ledger's (or, with <c>?source=pingpp</c>, Ping++'s) view of an order's refunds.</summary>
public sealed partial class RefundApiFunctions(
    RefundRequestIntake intake, IRefundLedger ledger, PingppClient pingpp, ILogger<RefundApiFunctions> logger)
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

        var body = await ReadBodyAsync(request, cancellationToken);
        if (body is null)
        {
            return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "too_large", $"The body is larger than {RefundRequestRules.MaxMessageBytes} bytes.");
        }

        var idempotencyKey = request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;
        var submission = await intake.SubmitAsync(body, orderId, idempotencyKey, caller.Id, cancellationToken);
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
    {
        if (!RefundRequestRules.IsPingppOrderId(orderId))
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown order id.");
        }

        if (FromPingpp(request))
        {
            return await CallPingppAsync(orderId, null, async () => ApiResults.Json(StatusCodes.Status200OK,
                new PingppList<PingppRefund> { Url = $"/v1/orders/{orderId}/order_refunds", Data = await pingpp.ListAllOrderRefundsAsync(orderId, cancellationToken) }));
        }

        var order = await ledger.ListOrderAsync(orderId, cancellationToken);
        if (order.Requests.Count == 0 && order.Refunds.Count == 0)
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "The ledger has no refund or refund request for this order.");
        }

        return ApiResults.Json(StatusCodes.Status200OK, OrderRefundsView.From(order));
    }

    [Function("GetOrderRefund")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "orders/{orderId}/refunds/{id}")] HttpRequest request,
        string orderId,
        string id,
        CancellationToken cancellationToken)
    {
        if (!RefundRequestRules.IsPingppOrderId(orderId) || RefundRequestRules.RequestIdProblem(id) is not null)
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown order or refund id.");
        }

        var isRefundId = id.StartsWith("re_", StringComparison.Ordinal);
        if (FromPingpp(request))
        {
            if (!isRefundId)
            {
                var stored = await ledger.GetRequestAsync(id, cancellationToken);
                if (stored is null || stored.OrderId != orderId)
                {
                    return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund request id.");
                }

                // Ping++ knows refunds, not our requests: list the order and keep the ones carrying this request id.
                return await CallPingppAsync(orderId, null, async () => ApiResults.Json(StatusCodes.Status200OK, new PingppList<PingppRefund>
                {
                    Url = $"/v1/orders/{orderId}/order_refunds",
                    Data = [.. (await pingpp.ListAllOrderRefundsAsync(orderId, cancellationToken)).Where(r => r.RequestId == id)],
                }));
            }

            return await CallPingppAsync(orderId, id, async () => ApiResults.Json(StatusCodes.Status200OK,
                await pingpp.RetrieveOrderRefundAsync(orderId, id, cancellationToken)));
        }

        if (isRefundId)
        {
            var refund = await ledger.GetRefundAsync(id, cancellationToken);
            return refund is not null && refund.OrderId == orderId
                ? ApiResults.Json(StatusCodes.Status200OK, RefundView.From(refund))
                : ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund id for this order.");
        }

        var record = await ledger.GetRequestAsync(id, cancellationToken);
        if (record is null || record.OrderId != orderId)
        {
            return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Unknown refund request id for this order.");
        }

        var refunds = record.RefundIds.Count == 0 ? [] : (await ledger.ListOrderAsync(orderId, cancellationToken)).Refunds;
        return ApiResults.Json(StatusCodes.Status200OK, RefundRequestView.From(record, refunds));
    }

    private static bool FromPingpp(HttpRequest request)
        => string.Equals(request.Query["source"].ToString(), "pingpp", StringComparison.OrdinalIgnoreCase);

    /// <summary>Ping++ failures become a short answer: 404 for what Ping++ does not know, 502 otherwise; never a stack trace.</summary>
    private async Task<IActionResult> CallPingppAsync(string orderId, string? refundId, Func<Task<IActionResult>> call)
    {
        try
        {
            return await call();
        }
        catch (PingppException e)
        {
            LogPingppFailed(logger, orderId, refundId, e.Kind.ToString(), e.StatusCode);
            return e is { Kind: PingppErrorKind.Rejected, StatusCode: 404 }
                ? ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Ping++ does not know this order or refund.")
                : ApiResults.Error(StatusCodes.Status502BadGateway, "pingpp_unavailable",
                    $"Ping++ could not be queried ({e.Kind}{(e.StatusCode is { } s ? $", HTTP {s}" : "")}){(e.ErrorCode is { } c ? $": {c}" : "")}.");
        }
    }

    /// <summary>The body, or null when it is larger than a refund message may be (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = RefundRequestRules.MaxMessageBytes;
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
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

    [LoggerMessage(3204, LogLevel.Warning, "Ping++ query for order {OrderId} (refund {RefundId}) failed: {Kind} ({StatusCode})")]
    private static partial void LogPingppFailed(ILogger logger, string orderId, string? refundId, string kind, int? statusCode);
}
