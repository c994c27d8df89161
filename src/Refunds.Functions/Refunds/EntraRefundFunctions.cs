using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Callers;
using Refunds.Functions.Security;

namespace Refunds.Functions.Refunds;

/// <summary>
/// The refund and manage routes for Entra ID machine callers, under <c>/api/entra/…</c>. They are anonymous at the
/// Functions host, because the host refuses a key-level route without a key before the worker sees the request; the
/// worker then checks the bearer token (fail closed, <see cref="EntraGate"/>) for the route's app role and runs the same
/// code as the key route. With Entra ID off (the default) every call here is a 404.
/// </summary>
public sealed class EntraRefundFunctions(EntraGate gate, RefundApiFunctions api, RefundAdminFunctions admin)
{
    [Function("SubmitRefundEntra")]
    public async Task<IActionResult> Submit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/orders/{orderId}/refunds")] HttpRequest request,
        string orderId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Submit, cancellationToken) ?? await api.Submit(request, orderId, cancellationToken);

    [Function("ListOrderRefundsEntra")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/orders/{orderId}/refunds")] HttpRequest request,
        string orderId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Read, cancellationToken) ?? await api.List(request, orderId, cancellationToken);

    [Function("GetOrderRefundEntra")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/orders/{orderId}/refunds/{id}")] HttpRequest request,
        string orderId,
        string id,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Read, cancellationToken) ?? await api.Get(request, orderId, id, cancellationToken);

    [Function("GetRefundRequestEntra")]
    public async Task<IActionResult> GetRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/refund-requests/{requestId}")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.Get(request, requestId, cancellationToken);

    [Function("ApproveRefundRequestEntra")]
    public async Task<IActionResult> Approve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/refund-requests/{requestId}/approve")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.Approve(request, requestId, cancellationToken);

    [Function("DenyRefundRequestEntra")]
    public async Task<IActionResult> Deny(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/refund-requests/{requestId}/deny")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.Deny(request, requestId, cancellationToken);

    [Function("CancelRefundRequestEntra")]
    public async Task<IActionResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/refund-requests/{requestId}/cancel")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.Cancel(request, requestId, cancellationToken);

    [Function("RequeueRefundRequestEntra")]
    public async Task<IActionResult> Requeue(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/refund-requests/{requestId}/requeue")] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.Requeue(request, requestId, cancellationToken);

    [Function("RequeueDeadLetteredRefundRequestsEntra")]
    public async Task<IActionResult> RequeueAll(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/refund-requests/requeue-dead-lettered")] HttpRequest request,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await admin.RequeueAll(request, cancellationToken);
}
