using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Diagnostics;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Handles one webhook delivery: authenticate (verify, parse) → store → apply once. The HTTP function reads the body
/// bytes once, calls <see cref="ReceiveAsync"/> and answers <see cref="WebhookReceipt.StatusCode"/>. What an event does
/// when applied is <see cref="WebhookEventHandler"/>'s business.
/// </summary>
/// <remarks>
/// An event is stored before it is applied and answered 200 only after both, so a verified event is never lost: a
/// failure after storing answers 500, and the redelivery finds the stored copy unapplied and applies it. Applying is
/// idempotent (the ledger merges monotonically), so concurrent deliveries of one event are safe.
/// </remarks>
public sealed partial class WebhookReceiver(
    WebhookSignatureVerifier verifier,
    IOptions<WebhookOptions> options,
    WebhookEventStore store,
    WebhookEventHandler handler,
    WebhookMetrics metrics,
    TimeProvider time,
    ILogger<WebhookReceiver> logger)
{
    private readonly WebhookOptions _options = options.Value;

    /// <summary>The largest body accepted; the HTTP layer stops reading past it and calls <see cref="RefuseTooLarge"/>.</summary>
    public int MaxBodyBytes => Math.Min(_options.MaxBodyBytes, WebhookEventStore.MaxBodyBytes);

    /// <summary>
    /// The receipt for a body the HTTP layer did not read to the end because it passed <see cref="MaxBodyBytes"/>
    /// (declared in Content-Length, or seen while reading). Counted and logged like any other rejection.
    /// </summary>
    public WebhookReceipt RefuseTooLarge(long bytesDeclaredOrSeen)
    {
        metrics.Rejected("too_large");
        Log.TooLarge(logger, bytesDeclaredOrSeen);
        return new WebhookReceipt(WebhookOutcome.PayloadTooLarge, "body too large");
    }

    public async Task<WebhookReceipt> ReceiveAsync(ReadOnlyMemory<byte> body, string? signatureHeader, CancellationToken cancellationToken)
    {
        if (body.Length > MaxBodyBytes)
        {
            return RefuseTooLarge(body.Length);
        }

        // One span for the whole delivery: authenticate, store and apply (the ledger write is its child).
        using var activity = RefundsTracing.StartWebhook();
        var authenticated = Authenticate(body, signatureHeader, activity);
        if (authenticated.Rejection is { } rejection)
        {
            return rejection;
        }

        var stored = await StoreAsync(authenticated.Event!, body, authenticated.SignatureHeader, cancellationToken).ConfigureAwait(false);
        return stored.Answer ?? await ApplyOnceAsync(stored.ToApply!, stored.ReceivedAt, stored.WasDuplicate, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The event, when the body is signed (or, when configured, an unsigned test-mode event) and a Ping++ event; otherwise
    /// the rejection (401, 400), counted and logged. Nothing is stored for a rejection.
    /// </summary>
    private Authenticated Authenticate(ReadOnlyMemory<byte> body, string? signatureHeader, Activity? activity)
    {
        var signature = verifier.Verify(body.Span, signatureHeader);
        PingppEvent? pingppEvent = null;
        string? reason = null;
        if (signature != WebhookSignatureResult.Valid)
        {
            // Unsigned events pass only when configured AND the event itself says test mode.
            var allowedUnsigned = signature == WebhookSignatureResult.MissingSignature
                && _options.AllowUnsignedTestEvents
                && PingppEventParser.TryParse(body, out pingppEvent, out reason)
                && !pingppEvent.Livemode;
            if (!allowedUnsigned)
            {
                metrics.Rejected(signature.ToString());
                Log.SignatureRejected(logger, signature.ToString(), body.Length);
                return new(new WebhookReceipt(WebhookOutcome.Unauthorized, "signature " + signature switch
                {
                    WebhookSignatureResult.MissingSignature => "missing",
                    WebhookSignatureResult.MalformedSignature => "malformed",
                    _ => "invalid",
                }), null, null);
            }

            Log.UnsignedTestEventAccepted(logger, pingppEvent!.Id, pingppEvent.Type);
            signatureHeader = null;
        }

        if (pingppEvent is null && !PingppEventParser.TryParse(body, out pingppEvent, out reason))
        {
            metrics.Rejected("not_an_event");
            Log.NotAnEvent(logger, reason);
            return new(new WebhookReceipt(WebhookOutcome.BadRequest, reason), null, null);
        }

        metrics.Verified(pingppEvent.Type);
        RefundsTracing.TagEvent(activity, pingppEvent.Id, pingppEvent.Type, pingppEvent.OrderId, pingppEvent.RefundId, pingppEvent.RequestId);
        Log.Received(logger, pingppEvent.Id, pingppEvent.Type, pingppEvent.RefundId, pingppEvent.OrderId, pingppEvent.Livemode);
        return new(null, pingppEvent, signatureHeader);
    }

    /// <summary>
    /// Stores the event (first delivery) or finds it stored (redelivery). The answer is final when storing failed, the
    /// event is refused, already applied, or needs no applying; otherwise the event to apply: this delivery's, or the
    /// stored copy an earlier delivery failed to apply.
    /// </summary>
    private async Task<Stored> StoreAsync(PingppEvent pingppEvent, ReadOnlyMemory<byte> body, string? signatureHeader, CancellationToken cancellationToken)
    {
        var refusal = RefusalReason(pingppEvent);
        var needsApply = refusal is null && handler.NeedsApply(pingppEvent);
        var appliedOnArrival = refusal is null && !needsApply;
        var now = time.GetUtcNow();
        var record = new StoredWebhookEvent
        {
            EventId = pingppEvent.Id,
            Type = pingppEvent.Type,
            Livemode = pingppEvent.Livemode,
            Created = pingppEvent.Created,
            Body = body,
            SignatureHeader = signatureHeader,
            ReceivedAt = now,
            RefundId = pingppEvent.RefundId,
            ChargeId = pingppEvent.ChargeId,
            OrderId = pingppEvent.OrderId,
            RequestId = pingppEvent.RequestId,
            Applied = appliedOnArrival,
            AppliedAt = appliedOnArrival ? now : null,
            AppliedAs = appliedOnArrival ? WebhookEventStore.AppliedAsNothing : null,
            RefusedReason = refusal,
        };

        WebhookEventAddResult added;
        try
        {
            added = await store.AddAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics.RetryLater("store");
            Log.StoreFailed(logger, e, pingppEvent.Id, pingppEvent.Type);
            return Stored.Answered(new WebhookReceipt(WebhookOutcome.RetryLater, "storage unavailable", pingppEvent.Id, pingppEvent.Type));
        }

        if (refusal is not null)
        {
            // Verified, but not this deployment's: kept with the reason (never applied), acknowledged so Ping++ stops.
            metrics.Refused(pingppEvent.Type);
            Log.Refused(logger, pingppEvent.Id, pingppEvent.Type, refusal);
            return Stored.Answered(new WebhookReceipt(WebhookOutcome.Refused, refusal, pingppEvent.Id, pingppEvent.Type) { WasDuplicate = !added.Added });
        }

        if (added.Added)
        {
            return needsApply
                ? new Stored(null, pingppEvent, WasDuplicate: false, now)
                : Stored.Answered(new WebhookReceipt(WebhookOutcome.Stored, null, pingppEvent.Id, pingppEvent.Type));
        }

        metrics.Duplicate(pingppEvent.Type);
        // A refund event marked applied but never applied to the ledger as a refund (an older version stored types it
        // did not know as applied) is applied now, once: applying records what it was applied as.
        var neverAppliedRefund = handler.AppliedAs(pingppEvent) == WebhookEventStore.AppliedAsRefund
            && added.Stored.AppliedAs != WebhookEventStore.AppliedAsRefund;
        if (added.Stored.Applied && !neverAppliedRefund)
        {
            Log.Duplicate(logger, pingppEvent.Id, pingppEvent.Type);
            return Stored.Answered(new WebhookReceipt(WebhookOutcome.Duplicate, null, pingppEvent.Id, pingppEvent.Type) { WasDuplicate = true });
        }

        // An earlier delivery stored it but failed before applying (or never applied it): apply the stored copy now.
        var toApply = PingppEventParser.TryParse(added.Stored.Body, out var storedEvent, out _) ? storedEvent : pingppEvent;
        Log.ApplyingStoredCopy(logger, toApply.Id, toApply.Type);
        return new Stored(null, toApply, WasDuplicate: true, added.Stored.ReceivedAt);
    }

    /// <summary>Applies a stored event through the handler and marks it applied; a failure answers 500 and leaves it for the redelivery.</summary>
    private async Task<WebhookReceipt> ApplyOnceAsync(PingppEvent pingppEvent, DateTimeOffset receivedAt, bool wasDuplicate, CancellationToken cancellationToken)
    {
        if (_options.ModeUnresolved)
        {
            // Stored, never applied while the app cannot tell live from test (see WebhookOptions.ModeUnresolved).
            metrics.RetryLater("mode_unknown");
            Log.ModeUnresolved(logger, pingppEvent.Id, pingppEvent.Type);
            return new WebhookReceipt(WebhookOutcome.RetryLater, "the app's Ping++ secret key is not resolved, so the event's mode cannot be checked; stored for retry", pingppEvent.Id, pingppEvent.Type);
        }

        bool changed;
        try
        {
            using (RefundsTracing.StartLedgerApply(pingppEvent.Id, pingppEvent.OrderId, pingppEvent.RefundId, pingppEvent.RequestId))
            {
                changed = await handler.ApplyAsync(pingppEvent, cancellationToken).ConfigureAwait(false);
            }

            await store.MarkAppliedAsync(pingppEvent, receivedAt, time.GetUtcNow(), handler.AppliedAs(pingppEvent), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics.RetryLater("apply");
            Log.ApplyFailed(logger, e, pingppEvent.Id, pingppEvent.Type, pingppEvent.RefundId, pingppEvent.OrderId);
            return new WebhookReceipt(WebhookOutcome.RetryLater, "could not apply; stored for retry", pingppEvent.Id, pingppEvent.Type);
        }

        return new WebhookReceipt(WebhookOutcome.Applied, null, pingppEvent.Id, pingppEvent.Type)
        {
            LedgerChanged = changed,
            WasDuplicate = wasDuplicate,
        };
    }

    /// <summary>Why a verified event is not for this deployment (other mode, other Ping++ app), or null.</summary>
    private string? RefusalReason(PingppEvent e)
    {
        if (_options.ExpectedLivemode is { } live && e.Livemode != live)
        {
            return $"livemode {(e.Livemode ? "true" : "false")}, but the app's secret key is a {(live ? "live" : "test")} key";
        }

        if (_options.AppId is { Length: > 0 } appId && e.Order?.App is { } app && !string.Equals(app, appId, StringComparison.Ordinal))
        {
            return $"event of Ping++ app {app}, but this app serves {appId}";
        }

        return null;
    }

    /// <summary>Either a rejection, or the authenticated event and the signature header to keep with it (null for an accepted unsigned test event).</summary>
    private readonly record struct Authenticated(WebhookReceipt? Rejection, PingppEvent? Event, string? SignatureHeader);

    /// <summary>Either the final answer, or the event still to apply and when it was first stored (the key of its index row).</summary>
    private readonly record struct Stored(WebhookReceipt? Answer, PingppEvent? ToApply, bool WasDuplicate, DateTimeOffset ReceivedAt)
    {
        public static Stored Answered(WebhookReceipt answer) => new(answer, null, false, default);
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Warning, "Webhook rejected: signature {SignatureResult} ({BodyLength} bytes)")]
        public static partial void SignatureRejected(ILogger logger, string signatureResult, int bodyLength);

        [LoggerMessage(1002, LogLevel.Warning, "Webhook verified but not a Ping++ event: {Reason}")]
        public static partial void NotAnEvent(ILogger logger, string? reason);

        [LoggerMessage(1003, LogLevel.Warning, "Webhook body of {BodyLength} bytes (declared, or read before stopping) refused as too large")]
        public static partial void TooLarge(ILogger logger, long bodyLength);

        [LoggerMessage(1004, LogLevel.Warning, "Unsigned test event {EventId} ({EventType}) accepted because AllowUnsignedTestEvents is on")]
        public static partial void UnsignedTestEventAccepted(ILogger logger, string eventId, string eventType);

        [LoggerMessage(1005, LogLevel.Information, "Event {EventId} ({EventType}) received: refund {RefundId}, order {OrderId}, livemode {Livemode}")]
        public static partial void Received(ILogger logger, string eventId, string eventType, string? refundId, string? orderId, bool livemode);

        [LoggerMessage(1006, LogLevel.Information, "Event {EventId} ({EventType}) is a duplicate; already applied")]
        public static partial void Duplicate(ILogger logger, string eventId, string eventType);

        [LoggerMessage(1007, LogLevel.Warning, "Event {EventId} ({EventType}) was stored earlier but not applied; applying now")]
        public static partial void ApplyingStoredCopy(ILogger logger, string eventId, string eventType);

        [LoggerMessage(1008, LogLevel.Error, "Event {EventId} ({EventType}) could not be stored; answering 500 so Ping++ retries")]
        public static partial void StoreFailed(ILogger logger, Exception exception, string eventId, string eventType);

        [LoggerMessage(1009, LogLevel.Error, "Event {EventId} ({EventType}) stored but not applied (refund {RefundId}, order {OrderId}); answering 500 so Ping++ retries")]
        public static partial void ApplyFailed(ILogger logger, Exception exception, string eventId, string eventType, string? refundId, string? orderId);

        [LoggerMessage(1012, LogLevel.Error, "Event {EventId} ({EventType}) stored but not applied: Pingpp__ApiKey is not resolved, so its mode cannot be checked; answering 500 so Ping++ retries")]
        public static partial void ModeUnresolved(ILogger logger, string eventId, string eventType);

        [LoggerMessage(1011, LogLevel.Warning, "Event {EventId} ({EventType}) verified but refused, stored and not applied: {Reason}")]
        public static partial void Refused(ILogger logger, string eventId, string eventType, string reason);
    }
}
