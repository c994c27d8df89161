using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Refunds.Core.Webhooks;

namespace Refunds.Functions.Webhooks;

/// <summary>
/// What Ping++ is answered. Ping++ looks only at the status code (2xx: delivered; anything else: redeliver on its
/// schedule); the small JSON body is for people reading the dashboard's delivery log. It never carries exception
/// text, and a 401 never says which check failed.
/// </summary>
public static class WebhookHttpResponse
{
    public static IActionResult For(WebhookReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var body = receipt.Outcome switch
        {
            WebhookOutcome.Stored or WebhookOutcome.Applied or WebhookOutcome.Duplicate =>
                new WebhookResponseBody(receipt.Outcome.ToString().ToLowerInvariant(), null, receipt.EventId),
            WebhookOutcome.Refused => new WebhookResponseBody("refused", receipt.Reason, receipt.EventId),
            WebhookOutcome.BadRequest => new WebhookResponseBody("bad_request", receipt.Reason, null),
            WebhookOutcome.Unauthorized => new WebhookResponseBody("unauthorized", null, null),
            WebhookOutcome.PayloadTooLarge => new WebhookResponseBody("payload_too_large", null, null),
            _ => new WebhookResponseBody("retry_later", null, null),
        };

        return new ObjectResult(body) { StatusCode = receipt.StatusCode };
    }
}

/// <summary>The JSON answer: <c>outcome</c> always; <c>reason</c> for 400 and refused events; <c>eventId</c> for 200 only.</summary>
public sealed record WebhookResponseBody(
    string Outcome,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EventId);
