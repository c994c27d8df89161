using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Operations;
using Refunds.Core.Storage;
using Refunds.Core.Webhooks;
using Refunds.Functions.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Operations;

/// <summary>
/// The webhook event log (issue 23.6, contract "s6-23d"): list stored events, show one raw and re-verified, re-apply
/// one. Admin (master key) routes; the Entra ID twins are <see cref="EntraWebhookEventFunctions"/>. Thin: the logic
/// is <see cref="WebhookEventLog"/>'s.
/// </summary>
public sealed partial class WebhookEventFunctions(WebhookEventLog log)
{
    [Function("ListWebhookEvents")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/webhook-events")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is null)
        {
            return RequestCallers.Unidentified();
        }

        var type = request.Query["type"].ToString();
        if (type.Length > 0 && !EventType().IsMatch(type))
        {
            return OperatorQuery.Invalid("type", $"must be a Ping++ event type such as refund.succeeded, not '{type}'");
        }

        var statusText = request.Query["apply_status"].ToString();
        WebhookApplyStatus? status = null;
        if (statusText.Length > 0)
        {
            if (!Enum.TryParse<WebhookApplyStatus>(statusText, ignoreCase: true, out var parsed) || !statusText.All(char.IsAsciiLetterLower))
            {
                return OperatorQuery.Invalid("apply_status", $"must be applied, pending or ignored, not '{statusText}'");
            }

            status = parsed;
        }

        if (!OperatorQuery.TryPageSize(request, out var pageSize, out var error)
            || !OperatorQuery.TryTime(request, "since", out var since, out error)
            || !OperatorQuery.TryTime(request, "until", out var until, out error))
        {
            return error!;
        }

        var continuation = request.Query["continuation"].ToString();
        try
        {
            var page = await log.ListAsync(new WebhookEventQuery(type.Length > 0 ? type : null, status, since, until, pageSize, continuation.Length > 0 ? continuation : null), cancellationToken);
            return ApiResults.Json(StatusCodes.Status200OK, new EventPage([.. page.Items.Select(EventItem.Of)], page.Continuation));
        }
        catch (InvalidContinuationException e)
        {
            return OperatorQuery.Invalid("continuation", e.Message.Replace("continuation ", "", StringComparison.Ordinal));
        }
    }

    [Function("GetWebhookEvent")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/webhook-events/{eventId}")] HttpRequest request,
        string eventId,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is null)
        {
            return RequestCallers.Unidentified();
        }

        var view = TableKeys.IsValidId(eventId) ? await log.GetAsync(eventId, cancellationToken) : null;
        return view is null
            ? NotFound(eventId)
            : ApiResults.Json(StatusCodes.Status200OK, EventDetail.Of(view));
    }

    [Function("ReapplyWebhookEvent")]
    public async Task<IActionResult> Reapply(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/webhook-events/{eventId}/reapply")] HttpRequest request,
        string eventId,
        CancellationToken cancellationToken)
    {
        if (RequestCallers.Of(request) is not { } caller)
        {
            return RequestCallers.Unidentified();
        }

        var (reason, error) = await OperatorQuery.ReadReasonAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (OperatorText.Problem("reason", reason, required: true) is { } problem)
        {
            return OperatorQuery.Invalid("reason", problem["reason ".Length..]);
        }

        if (!TableKeys.IsValidId(eventId))
        {
            return NotFound(eventId);
        }

        var outcome = await log.ReapplyAsync(eventId, "operator:" + caller.Id, reason!, cancellationToken);
        return outcome switch
        {
            null => NotFound(eventId),
            { Result: WebhookReapplyResult.Refused or WebhookReapplyResult.NotVerified } => ApiResults.Error(
                StatusCodes.Status409Conflict, "not_allowed", $"Event {eventId} cannot be applied ({WebhookEventLog.ResultName(outcome.Result)}): {outcome.Detail}"),
            { Result: WebhookReapplyResult.Failed } => ApiResults.Error(
                StatusCodes.Status503ServiceUnavailable, "apply_failed", $"Event {eventId} could not be applied now ({outcome.Detail}); it stays pending: try again."),
            _ => ApiResults.Json(StatusCodes.Status200OK, ReapplyAnswer.Of(outcome, "operator:" + caller.Id)),
        };
    }

    private static IActionResult NotFound(string eventId)
        => ApiResults.Error(StatusCodes.Status404NotFound, "not_found", $"No stored webhook event '{eventId}'.");

    /// <summary>Ping++ event types: lower-case words joined by dots and underscores.</summary>
    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+){0,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex EventType();

    private sealed record EventPage(IReadOnlyList<EventItem> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Continuation);

    /// <summary>One event as listed (contract: event_id, type, created, received_at, apply_status, applied_as, applied_at, order_id, refund_id).</summary>
    private record EventItem(
        string EventId,
        string Type,
        long Created,
        DateTimeOffset ReceivedAt,
        WebhookApplyStatus ApplyStatus,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? AppliedAs,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? AppliedAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? OrderId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? RefundId)
    {
        public static EventItem Of(WebhookEventEntry e) => new(e.EventId, e.Type, e.Created, e.ReceivedAt, e.ApplyStatus, e.AppliedAs, e.AppliedAt, e.OrderId, e.RefundId);
    }

    /// <summary>The item plus the raw body, the verification done now, and the record of re-applies. No signature.</summary>
    private sealed record EventDetail(
        WebhookEventEntry Entry,
        bool Livemode,
        string? RefusedReason,
        string RawBody,
        bool SignatureVerified,
        IReadOnlyList<ReapplyEntry> Reapplies)
        : EventItem(Entry.EventId, Entry.Type, Entry.Created, Entry.ReceivedAt, Entry.ApplyStatus, Entry.AppliedAs, Entry.AppliedAt, Entry.OrderId, Entry.RefundId)
    {
        [JsonIgnore]
        public WebhookEventEntry Entry { get; } = Entry;

        public static EventDetail Of(WebhookEventView v) => new(
            v.Entry, v.Livemode, v.RefusedReason, v.RawBody, v.SignatureVerified,
            [.. v.Reapplies.Select(r => new ReapplyEntry(r.At, r.Actor, r.Reason, r.Result))]);
    }

    private sealed record ReapplyEntry(DateTimeOffset At, string Actor, string Reason, string Result);

    /// <summary>Contract: event_id, apply_status, applied_as; plus what was done (result) and whether the ledger changed.</summary>
    private sealed record ReapplyAnswer(
        string EventId,
        WebhookApplyStatus ApplyStatus,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? AppliedAs,
        string Result,
        bool LedgerChanged,
        string ReappliedBy)
    {
        public static ReapplyAnswer Of(WebhookReapplyOutcome o, string actor)
            => new(o.EventId, o.ApplyStatus, o.AppliedAs, WebhookEventLog.ResultName(o.Result), o.LedgerChanged, actor);
    }
}
