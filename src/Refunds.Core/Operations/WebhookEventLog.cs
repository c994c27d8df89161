using Microsoft.Extensions.Logging;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Operations;

/// <summary>One stored event shown to an operator: its index entry, the raw body, and whether its stored signature verifies now.</summary>
/// <param name="SignatureVerified">
/// The stored body re-verified now against the stored signature with the configured Ping++ public keys; false for an
/// unsigned test event or when no configured key verifies it (a rotated key). The signature itself is never shown.
/// </param>
public sealed record WebhookEventView(
    WebhookEventEntry Entry,
    string RawBody,
    bool SignatureVerified,
    bool Livemode,
    string? RefusedReason,
    IReadOnlyList<WebhookReapplyRecord> Reapplies);

/// <summary>What an operator's re-apply did.</summary>
public enum WebhookReapplyResult
{
    /// <summary>The event was not applied, and now is.</summary>
    Applied,

    /// <summary>The event was already applied: nothing changed.</summary>
    AlreadyApplied,

    /// <summary>The event needs no applying (a type that changes nothing here): nothing changed.</summary>
    NothingToApply,

    /// <summary>Verified but not for this deployment (other mode or Ping++ app): never applied.</summary>
    Refused,

    /// <summary>The stored body no longer verifies with the configured keys (or is an unsigned test event no longer allowed): not applied.</summary>
    NotVerified,

    /// <summary>Applying failed (storage, ledger); the event stays pending, and Ping++'s redelivery or another re-apply applies it.</summary>
    Failed,
}

/// <summary>The answer to a re-apply: the event's apply status afterwards and what was done.</summary>
public sealed record WebhookReapplyOutcome(string EventId, WebhookReapplyResult Result, WebhookApplyStatus ApplyStatus, string? AppliedAs, bool LedgerChanged, string? Detail);

/// <summary>
/// The webhook event log for operators (issue 23.6): list stored events by type and time, show one raw and
/// re-verified, re-apply one through the receiver's own delivery path, and list the events still to apply (the
/// problems list's <c>unapplied_webhook</c> kind).
/// </summary>
public sealed partial class WebhookEventLog(
    WebhookEventStore store,
    WebhookReceiver receiver,
    WebhookSignatureVerifier verifier,
    TimeProvider time,
    ILogger<WebhookEventLog> logger)
{
    /// <summary>Stored events, newest first by received time; see <see cref="WebhookEventStore.ListAsync"/> for the cost.</summary>
    /// <exception cref="InvalidContinuationException">The continuation is not one this API handed out.</exception>
    public Task<WebhookEventPage> ListAsync(WebhookEventQuery query, CancellationToken ct) => store.ListAsync(query, ct);

    /// <summary>
    /// Verified events stored but not applied (apply status <c>pending</c>), newest first, received in [since, until).
    /// For the problems list: each item is an <c>unapplied_webhook</c> problem whose id is the event id and whose
    /// action is <c>reapply</c>. Refused events and types that need no applying are not listed (status <c>ignored</c>).
    /// Costs what <see cref="ListAsync"/> costs: one range query per event partition (64), in parallel.
    /// </summary>
    /// <exception cref="InvalidContinuationException">The continuation is not one this API handed out.</exception>
    public Task<WebhookEventPage> ListUnappliedAsync(DateTimeOffset? since, DateTimeOffset? until, int pageSize, string? continuation, CancellationToken ct)
        => store.ListAsync(new WebhookEventQuery(null, WebhookApplyStatus.Pending, since, until, pageSize, continuation), ct);

    /// <summary>One stored event with its raw body, re-verified now; null for an unknown id.</summary>
    public async Task<WebhookEventView?> GetAsync(string eventId, CancellationToken ct)
    {
        var stored = await store.GetAsync(eventId, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var verified = stored.SignatureHeader is not null && verifier.Verify(stored.Body.Span, stored.SignatureHeader) == WebhookSignatureResult.Valid;
        var reapplies = await store.ListReappliesAsync(eventId, ct).ConfigureAwait(false);
        return new WebhookEventView(
            EntryOf(stored),
            System.Text.Encoding.UTF8.GetString(stored.Body.Span),
            verified,
            stored.Livemode,
            stored.RefusedReason,
            reapplies);
    }

    /// <summary>
    /// Runs the stored event through the receiver exactly as a redelivery of its bytes and signature (verify, find it
    /// stored, apply it once if it is not applied), so it is idempotent: an applied event changes nothing and the
    /// answer says so. The operator and the reason are appended to the event's record whatever the result. Null for
    /// an unknown id.
    /// </summary>
    /// <param name="actor">Who asked: <c>operator:&lt;caller id&gt;</c>.</param>
    public async Task<WebhookReapplyOutcome?> ReapplyAsync(string eventId, string actor, string reason, CancellationToken ct)
    {
        var before = await store.GetAsync(eventId, ct).ConfigureAwait(false);
        if (before is null)
        {
            return null;
        }

        var receipt = await receiver.ReceiveAsync(before.Body, before.SignatureHeader, ct).ConfigureAwait(false);
        var after = await store.GetAsync(eventId, ct).ConfigureAwait(false) ?? before;
        var entry = EntryOf(after);
        var result = receipt.Outcome switch
        {
            WebhookOutcome.Applied => WebhookReapplyResult.Applied,
            WebhookOutcome.Duplicate or WebhookOutcome.Stored when entry.ApplyStatus == WebhookApplyStatus.Ignored => WebhookReapplyResult.NothingToApply,
            WebhookOutcome.Duplicate or WebhookOutcome.Stored => WebhookReapplyResult.AlreadyApplied,
            WebhookOutcome.Refused => WebhookReapplyResult.Refused,
            WebhookOutcome.RetryLater => WebhookReapplyResult.Failed,
            _ => WebhookReapplyResult.NotVerified,
        };
        var detail = result switch
        {
            WebhookReapplyResult.Refused => after.RefusedReason ?? receipt.Reason,
            WebhookReapplyResult.NotVerified => $"the stored event does not pass the receiver now: {receipt.Reason}",
            WebhookReapplyResult.Failed => receipt.Reason,
            _ => null,
        };

        await store.AddReapplyAsync(eventId, new WebhookReapplyRecord(time.GetUtcNow(), actor, reason, ResultName(result)), ct).ConfigureAwait(false);
        LogReapplied(logger, eventId, actor, ResultName(result));
        return new WebhookReapplyOutcome(eventId, result, entry.ApplyStatus, entry.AppliedAs, receipt.LedgerChanged, detail);
    }

    /// <summary>The snake_case name of a result, as recorded and answered.</summary>
    public static string ResultName(WebhookReapplyResult result) => result switch
    {
        WebhookReapplyResult.Applied => "applied",
        WebhookReapplyResult.AlreadyApplied => "already_applied",
        WebhookReapplyResult.NothingToApply => "nothing_to_apply",
        WebhookReapplyResult.Refused => "refused",
        WebhookReapplyResult.NotVerified => "not_verified",
        _ => "failed",
    };

    private static WebhookEventEntry EntryOf(StoredWebhookEvent stored) => new(
        stored.EventId,
        stored.Type,
        stored.Created,
        stored.ReceivedAt,
        WebhookEventStore.StatusOf(stored.Applied, stored.AppliedAs, stored.RefusedReason),
        stored.AppliedAs,
        stored.AppliedAt,
        stored.OrderId,
        stored.RefundId);

    [LoggerMessage(3401, LogLevel.Information, "Operator {Actor} re-applied webhook event {EventId}: {Result}")]
    private static partial void LogReapplied(ILogger logger, string eventId, string actor, string result);
}
