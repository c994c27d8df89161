using Microsoft.Extensions.Logging;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.Webhooks;

/// <summary>
/// What a verified, stored event does to the app: one virtual method per kind of event. <see cref="Route"/> is the
/// only place that tells the kinds apart, so whether an event needs applying (<see cref="NeedsApply"/>), what it is
/// recorded as having been applied as (<see cref="AppliedAs"/>) and what applying it does all come from one decision.
/// </summary>
/// <remarks>
/// Every method may run more than once for one event (redeliveries, a stored copy applied later), so each must be
/// idempotent; the ledger merges monotonically. A method that throws makes the receiver answer 500 so Ping++ retries.
/// </remarks>
/// <param name="unplaced">Where a refund whose order the ledger cannot place is kept with its raw JSON (registered with reconciliation).</param>
public partial class WebhookEventHandler(IRefundLedger ledger, IPaymentEventObserver observer, ILogger<WebhookEventHandler> logger, UnplacedRefundStore? unplaced = null)
{
    /// <summary>Whether the event changes anything here; an event that does not is only stored.</summary>
    public bool NeedsApply(PingppEvent pingppEvent) => AppliedAs(pingppEvent) != WebhookEventStore.AppliedAsNothing;

    /// <summary>What the event is applied as (<see cref="WebhookEventStore.AppliedAsRefund"/>, …), as recorded on the stored event.</summary>
    public string AppliedAs(PingppEvent pingppEvent) => Route(pingppEvent).AppliedAs;

    /// <summary>Applies the event; returns whether the ledger changed.</summary>
    public Task<bool> ApplyAsync(PingppEvent pingppEvent, CancellationToken cancellationToken)
        => Route(pingppEvent).ApplyAsync(this, pingppEvent, cancellationToken);

    /// <summary>
    /// A refund event: any event whose <c>data.object</c> is a refund (<c>refund.succeeded</c>,
    /// <c>order.refund.succeeded</c>, <c>refund.failed</c>, or another refund event at its object's own status), applied
    /// to the ledger as the event states it (<see cref="RefundAsStated"/>).
    /// </summary>
    protected virtual async Task<bool> OnRefundAsync(PingppEvent pingppEvent, PingppRefund refund, CancellationToken cancellationToken)
    {
        var stated = RefundAsStated(pingppEvent, refund);
        var result = await ledger.ApplyRefundAsync(stated, null, cancellationToken).ConfigureAwait(false);
        LogRefundApplied(logger, pingppEvent.Id, refund.Id, result.Refund.OrderId, result.Refund.RequestId, result.Outcome.ToString());
        if (unplaced is not null && result.Refund.OrderId is null && result.Changed)
        {
            // No order: kept as reported, for the charge lookup and for a person. A failure here answers 500 (redelivered);
            // should the redelivery find the ledger unchanged, reconciliation keeps it from the ledger's row instead.
            await unplaced.RecordAsync(stated, pingppEvent.RefundJson ?? System.Text.Json.JsonSerializer.Serialize(refund, PingppJson.Options), cancellationToken).ConfigureAwait(false);
        }

        return result.Changed;
    }

    /// <summary><c>order.refunded</c>: the order's refund state is recorded on the ledger.</summary>
    protected virtual async Task<bool> OnOrderRefundedAsync(PingppEvent pingppEvent, PingppOrder order, CancellationToken cancellationToken)
    {
        await ledger.RecordOrderRefundedAsync(order, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary><c>order.succeeded</c> and <c>charge.succeeded</c>: handed to the payment observer (abnormal payments); the ledger does not change.</summary>
    protected virtual async Task<bool> OnPaymentAsync(PingppEvent pingppEvent, CancellationToken cancellationToken)
    {
        await observer.OnOrderPaymentEventAsync(pingppEvent, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// The refund as the event states it. The event type is Ping++'s statement of the outcome, whatever a stale status
    /// field says; the ledger's merge keeps a succeeded refund succeeded (a later failure is a recorded conflict).
    /// </summary>
    protected static PingppRefund RefundAsStated(PingppEvent pingppEvent, PingppRefund refund) => pingppEvent.Type switch
    {
        PingppEvent.Types.RefundSucceeded or PingppEvent.Types.OrderRefundSucceeded => refund with { Status = PingppRefundStatus.Succeeded, Succeed = true },
        PingppEvent.Types.RefundFailed => refund with { Status = PingppRefundStatus.Failed, Succeed = false },
        _ => refund,
    };

    /// <summary>The one decision: which kind an event is, hence what it is applied as and which method applies it.</summary>
    private static EventRoute Route(PingppEvent pingppEvent) => pingppEvent switch
    {
        { Refund: not null } => EventRoute.Refund,
        { Type: PingppEvent.Types.OrderRefunded, Order: not null } => EventRoute.OrderRefunded,
        { Type: PingppEvent.Types.OrderSucceeded or PingppEvent.Types.ChargeSucceeded } => EventRoute.Payment,
        _ => EventRoute.Nothing,
    };

    private sealed record EventRoute(string AppliedAs, Func<WebhookEventHandler, PingppEvent, CancellationToken, Task<bool>> ApplyAsync)
    {
        public static readonly EventRoute Refund = new(WebhookEventStore.AppliedAsRefund, (h, e, ct) => h.OnRefundAsync(e, e.Refund!, ct));
        public static readonly EventRoute OrderRefunded = new(WebhookEventStore.AppliedAsOrder, (h, e, ct) => h.OnOrderRefundedAsync(e, e.Order!, ct));
        public static readonly EventRoute Payment = new(WebhookEventStore.AppliedAsPayment, (h, e, ct) => h.OnPaymentAsync(e, ct));
        public static readonly EventRoute Nothing = new(WebhookEventStore.AppliedAsNothing, (_, _, _) => Task.FromResult(false));
    }

    [LoggerMessage(1010, LogLevel.Information, "Event {EventId} applied refund {RefundId} (order {OrderId}, request {RequestId}): {Outcome}")]
    private static partial void LogRefundApplied(ILogger logger, string eventId, string refundId, string? orderId, string? requestId, string outcome);
}
