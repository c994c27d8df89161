using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Diagnostics;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Handles one webhook delivery: verify → parse → store → apply → outcome. The HTTP function reads the body bytes
/// once, calls <see cref="ReceiveAsync"/> and answers <see cref="WebhookReceipt.StatusCode"/>.
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
    IRefundLedger ledger,
    IPaymentEventObserver observer,
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

    public async Task<WebhookReceipt> ReceiveAsync(ReadOnlyMemory<byte> body, string? signatureHeader, CancellationToken ct)
    {
        if (body.Length > MaxBodyBytes)
        {
            return RefuseTooLarge(body.Length);
        }

        using var activity = RefundsTracing.StartWebhook();
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
                return new WebhookReceipt(WebhookOutcome.Unauthorized, "signature " + signature switch
                {
                    WebhookSignatureResult.MissingSignature => "missing",
                    WebhookSignatureResult.MalformedSignature => "malformed",
                    _ => "invalid",
                });
            }

            Log.UnsignedTestEventAccepted(logger, pingppEvent!.Id, pingppEvent.Type);
            signatureHeader = null;
        }

        if (pingppEvent is null && !PingppEventParser.TryParse(body, out pingppEvent, out reason))
        {
            metrics.Rejected("not_an_event");
            Log.NotAnEvent(logger, reason);
            return new WebhookReceipt(WebhookOutcome.BadRequest, reason);
        }

        metrics.Verified(pingppEvent.Type);
        RefundsTracing.TagEvent(activity, pingppEvent.Id, pingppEvent.Type, pingppEvent.OrderId, pingppEvent.RefundId, pingppEvent.RequestId);
        Log.Received(logger, pingppEvent.Id, pingppEvent.Type, pingppEvent.RefundId, pingppEvent.OrderId, pingppEvent.Livemode);

        var refusal = RefusalReason(pingppEvent);
        var applyAs = ApplyKind(pingppEvent);
        var needsApply = refusal is null && applyAs != WebhookEventStore.AppliedAsNothing;
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
            Applied = refusal is null && !needsApply,
            AppliedAt = refusal is null && !needsApply ? now : null,
            AppliedAs = refusal is null && !needsApply ? WebhookEventStore.AppliedAsNothing : null,
            RefusedReason = refusal,
        };

        WebhookEventAddResult added;
        try
        {
            added = await store.AddAsync(record, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            metrics.RetryLater("store");
            Log.StoreFailed(logger, e, pingppEvent.Id, pingppEvent.Type);
            return new WebhookReceipt(WebhookOutcome.RetryLater, "storage unavailable", pingppEvent.Id, pingppEvent.Type);
        }

        if (refusal is not null)
        {
            // Verified, but not this deployment's: kept with the reason (never applied), acknowledged so Ping++ stops.
            metrics.Refused(pingppEvent.Type);
            Log.Refused(logger, pingppEvent.Id, pingppEvent.Type, refusal);
            return new WebhookReceipt(WebhookOutcome.Refused, refusal, pingppEvent.Id, pingppEvent.Type) { WasDuplicate = !added.Added };
        }

        if (!added.Added)
        {
            metrics.Duplicate(pingppEvent.Type);
            // A refund event marked applied but never applied to the ledger as a refund (an older version stored
            // types it did not know as applied) is applied now, once: applying records what it was applied as.
            var neverAppliedRefund = applyAs == WebhookEventStore.AppliedAsRefund && added.Stored.AppliedAs != WebhookEventStore.AppliedAsRefund;
            if (added.Stored.Applied && !neverAppliedRefund)
            {
                Log.Duplicate(logger, pingppEvent.Id, pingppEvent.Type);
                return new WebhookReceipt(WebhookOutcome.Duplicate, null, pingppEvent.Id, pingppEvent.Type) { WasDuplicate = true };
            }

            // An earlier delivery stored it but failed before applying (or never applied it): apply the stored copy now.
            if (PingppEventParser.TryParse(added.Stored.Body, out var stored, out _))
            {
                pingppEvent = stored;
                applyAs = ApplyKind(stored);
            }

            Log.ApplyingStoredCopy(logger, pingppEvent.Id, pingppEvent.Type);
        }
        else if (!needsApply)
        {
            return new WebhookReceipt(WebhookOutcome.Stored, null, pingppEvent.Id, pingppEvent.Type);
        }

        bool changed;
        try
        {
            using (RefundsTracing.StartLedgerApply(pingppEvent.Id, pingppEvent.OrderId, pingppEvent.RefundId, pingppEvent.RequestId))
            {
                changed = await ApplyAsync(pingppEvent, ct).ConfigureAwait(false);
            }

            await store.MarkAppliedAsync(pingppEvent.Id, time.GetUtcNow(), applyAs, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            metrics.RetryLater("apply");
            Log.ApplyFailed(logger, e, pingppEvent.Id, pingppEvent.Type, pingppEvent.RefundId, pingppEvent.OrderId);
            return new WebhookReceipt(WebhookOutcome.RetryLater, "could not apply; stored for retry", pingppEvent.Id, pingppEvent.Type);
        }

        return new WebhookReceipt(WebhookOutcome.Applied, null, pingppEvent.Id, pingppEvent.Type)
        {
            LedgerChanged = changed,
            WasDuplicate = !added.Added,
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

    /// <summary>
    /// What an event is applied as: any event whose <c>data.object</c> is a refund is applied to the ledger as one
    /// (<c>refund.succeeded</c>, <c>order.refund.succeeded</c>, <c>refund.failed</c>, or another refund event at its
    /// object's own status); an order's refund or payment as such; anything else is only stored.
    /// </summary>
    private static string ApplyKind(PingppEvent e) => e switch
    {
        { Refund: not null } => WebhookEventStore.AppliedAsRefund,
        { Type: PingppEvent.Types.OrderRefunded, Order: not null } => WebhookEventStore.AppliedAsOrder,
        { Type: PingppEvent.Types.OrderSucceeded or PingppEvent.Types.ChargeSucceeded } => WebhookEventStore.AppliedAsPayment,
        _ => WebhookEventStore.AppliedAsNothing,
    };

    /// <summary>
    /// The refund as the event states it. The event type is Ping++'s statement of the outcome, whatever a stale status
    /// field says; the ledger's merge keeps a succeeded refund succeeded (a later failure is a recorded conflict).
    /// </summary>
    private static PingppRefund RefundAsStated(PingppEvent e, PingppRefund refund) => e.Type switch
    {
        PingppEvent.Types.RefundSucceeded or PingppEvent.Types.OrderRefundSucceeded => refund with { Status = PingppRefundStatus.Succeeded, Succeed = true },
        PingppEvent.Types.RefundFailed => refund with { Status = PingppRefundStatus.Failed, Succeed = false },
        _ => refund,
    };

    /// <summary>Applies the event; returns whether the ledger changed.</summary>
    private async Task<bool> ApplyAsync(PingppEvent e, CancellationToken ct)
    {
        switch (e)
        {
            case { Refund: { } refund }:
                var result = await ledger.ApplyRefundAsync(RefundAsStated(e, refund), null, ct).ConfigureAwait(false);
                Log.RefundApplied(logger, e.Id, refund.Id, result.Refund.OrderId, result.Refund.RequestId, result.Outcome.ToString());
                return result.Changed;

            case { Type: PingppEvent.Types.OrderRefunded, Order: { } order }:
                await ledger.RecordOrderRefundedAsync(order, ct).ConfigureAwait(false);
                return true;

            case { Type: PingppEvent.Types.OrderSucceeded or PingppEvent.Types.ChargeSucceeded }:
                await observer.OnOrderPaymentEventAsync(e, ct).ConfigureAwait(false);
                return false;

            default:
                return false;
        }
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

        [LoggerMessage(1011, LogLevel.Warning, "Event {EventId} ({EventType}) verified but refused, stored and not applied: {Reason}")]
        public static partial void Refused(ILogger logger, string eventId, string eventType, string reason);

        [LoggerMessage(1010, LogLevel.Information, "Event {EventId} applied refund {RefundId} (order {OrderId}, request {RequestId}): {Outcome}")]
        public static partial void RefundApplied(ILogger logger, string eventId, string refundId, string? orderId, string? requestId, string outcome);
    }
}
