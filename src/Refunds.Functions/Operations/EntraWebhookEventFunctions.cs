using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Callers;
using Refunds.Functions.Security;

namespace Refunds.Functions.Operations;

/// <summary>
/// The Entra ID twins of <see cref="WebhookEventFunctions"/> under <c>/api/entra/manage/webhook-events…</c>, as
/// <c>EntraRefundFunctions</c> does for the refund routes: anonymous at the host, the bearer token checked by
/// <see cref="EntraGate"/> for the operate role, then the same code as the key route.
/// </summary>
public sealed class EntraWebhookEventFunctions(EntraGate gate, WebhookEventFunctions events)
{
    [Function("ListWebhookEventsEntra")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/webhook-events")] HttpRequest request,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await events.List(request, cancellationToken);

    [Function("GetWebhookEventEntra")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/webhook-events/{eventId}")] HttpRequest request,
        string eventId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await events.Get(request, eventId, cancellationToken);

    [Function("ReapplyWebhookEventEntra")]
    public async Task<IActionResult> Reapply(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/webhook-events/{eventId}/reapply")] HttpRequest request,
        string eventId,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await events.Reapply(request, eventId, cancellationToken);
}
