using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Functions.Refunds;

/// <summary>
/// Operator (admin key) routes: Ping++'s own view of an order's refunds, live. Each look-up costs Ping++ calls (at most
/// <c>PingppLiveView__MaxPages</c> list pages), so it is not on the refund API's function-key routes, which read the ledger.
/// </summary>
public sealed partial class RefundLiveViewFunctions(PingppLiveView live, ILogger<RefundLiveViewFunctions> logger)
{
    /// <summary>The routes' common prefix, under <c>/api/</c>.</summary>
    public const string RoutePrefix = "manage/pingpp/orders";

    [Function("ListOrderRefundsAtPingpp")]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = RoutePrefix + "/{orderId}/refunds")] HttpRequest request,
        string orderId,
        CancellationToken cancellationToken)
        => CallPingppAsync(orderId, null, () => live.ListOrderRefundsAsync(orderId, cancellationToken));

    [Function("GetOrderRefundAtPingpp")]
    public Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = RoutePrefix + "/{orderId}/refunds/{id}")] HttpRequest request,
        string orderId,
        string id,
        CancellationToken cancellationToken)
        => CallPingppAsync(orderId, id, () => live.GetAsync(orderId, id, cancellationToken));

    /// <summary>Ping++ failures become a short answer: 404 for what Ping++ does not know, 502 otherwise; never a stack trace.</summary>
    private async Task<IActionResult> CallPingppAsync(string orderId, string? id, Func<Task<RefundLookup>> call)
    {
        try
        {
            var lookup = await call();
            // An operator action: logged with what it read (the caller is the admin key; identities come with Entra ID).
            LogLiveView(logger, orderId, id, (lookup.View as PingppLiveRefundList)?.PagesRead ?? (lookup.View is null ? 0 : 1));
            return RefundApiFunctions.Answer(lookup);
        }
        catch (PingppException e)
        {
            LogPingppFailed(logger, orderId, id, e.Kind.ToString(), e.StatusCode);
            return e is { Kind: PingppErrorKind.Rejected, StatusCode: 404 }
                ? ApiResults.Error(StatusCodes.Status404NotFound, "not_found", "Ping++ does not know this order or refund.")
                : ApiResults.Error(StatusCodes.Status502BadGateway, "pingpp_unavailable",
                    $"Ping++ could not be queried ({e.Kind}{(e.StatusCode is { } s ? $", HTTP {s}" : "")}){(e.ErrorCode is { } c ? $": {c}" : "")}.");
        }
    }

    [LoggerMessage(3205, LogLevel.Information, "Live Ping++ view of order {OrderId} (id {Id}) by an admin-key caller: {PingppCalls} Ping++ calls")]
    private static partial void LogLiveView(ILogger logger, string orderId, string? id, int pingppCalls);

    [LoggerMessage(3204, LogLevel.Warning, "Ping++ query for order {OrderId} (refund {RefundId}) failed: {Kind} ({StatusCode})")]
    private static partial void LogPingppFailed(ILogger logger, string orderId, string? refundId, string kind, int? statusCode);
}
