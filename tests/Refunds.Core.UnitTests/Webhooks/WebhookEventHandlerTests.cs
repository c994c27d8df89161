using Microsoft.Extensions.Logging.Abstractions;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

/// <summary>
/// The handler's one route decides everything about an event: whether it needs applying, what it is recorded as, and
/// which virtual method applies it. A subclass overriding the methods proves each kind reaches exactly its own one.
/// </summary>
public class WebhookEventHandlerTests
{
    public static TheoryData<string, string, string?> Kinds => new()
    {
        { "refund.succeeded", "refund", "refund" },
        { "order.refund.succeeded", "refund", "refund" },
        { "refund.failed", "refund", "refund" },
        { "refund.updated", "refund", "refund" },
        { "order.refunded", "order", "order.refunded" },
        { "order.succeeded", "order", "payment" },
        { "charge.succeeded", "charge", "payment" },
        { "summary.daily.available", "account_daily_summary", null },
        { "order.refunded", "account_daily_summary", null },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_kind_of_event_is_applied_by_its_own_method_and_needs_apply_agrees(string type, string objectType, string? method)
    {
        var handler = new RecordingHandler();
        var pingppEvent = Event(type, objectType);

        var changed = await handler.ApplyAsync(pingppEvent, CancellationToken.None);

        Assert.Equal(method is null ? [] : [method], handler.Calls);
        Assert.Equal(method is not null, handler.NeedsApply(pingppEvent));
        Assert.Equal(method switch
        {
            "refund" => WebhookEventStore.AppliedAsRefund,
            "order.refunded" => WebhookEventStore.AppliedAsOrder,
            "payment" => WebhookEventStore.AppliedAsPayment,
            _ => WebhookEventStore.AppliedAsNothing,
        }, handler.AppliedAs(pingppEvent));
        Assert.Equal(method is not null, changed);
    }

    [Theory]
    [InlineData("refund.succeeded", PingppRefundStatus.Pending, PingppRefundStatus.Succeeded)]
    [InlineData("order.refund.succeeded", PingppRefundStatus.Failed, PingppRefundStatus.Succeeded)]
    [InlineData("refund.failed", PingppRefundStatus.Pending, PingppRefundStatus.Failed)]
    [InlineData("refund.updated", PingppRefundStatus.Pending, PingppRefundStatus.Pending)]
    public async Task A_refund_is_applied_as_the_event_type_states_it(string type, PingppRefundStatus objectStatus, PingppRefundStatus applied)
    {
        var handler = new RecordingHandler();
        var pingppEvent = Event(type, "refund") with { Refund = new PingppRefund { Id = "re_1", Status = objectStatus } };

        await handler.ApplyAsync(pingppEvent, CancellationToken.None);

        Assert.Equal(applied, Assert.Single(handler.RefundsAsStated).Status);
    }

    private static PingppEvent Event(string type, string objectType) => new()
    {
        Id = "evt_1",
        Type = type,
        ObjectType = objectType,
        Refund = objectType == "refund" ? new PingppRefund { Id = "re_1" } : null,
        Order = objectType == "order" ? new PingppOrder { Id = "2011708070000007521" } : null,
        Charge = objectType == "charge" ? new PingppCharge { Id = "ch_1" } : null,
    };

    /// <summary>Records which method ran; the ledger and the observer are never reached because every method is overridden.</summary>
    private sealed class RecordingHandler() : WebhookEventHandler(null!, null!, NullLogger<WebhookEventHandler>.Instance)
    {
        public List<string> Calls { get; } = [];

        public List<PingppRefund> RefundsAsStated { get; } = [];

        protected override Task<bool> OnRefundAsync(PingppEvent pingppEvent, PingppRefund refund, CancellationToken cancellationToken)
        {
            Calls.Add("refund");
            RefundsAsStated.Add(RefundAsStated(pingppEvent, refund));
            return Task.FromResult(true);
        }

        protected override Task<bool> OnOrderRefundedAsync(PingppEvent pingppEvent, PingppOrder order, CancellationToken cancellationToken)
        {
            Calls.Add("order.refunded");
            return Task.FromResult(true);
        }

        protected override Task<bool> OnPaymentAsync(PingppEvent pingppEvent, CancellationToken cancellationToken)
        {
            Calls.Add("payment");
            return Task.FromResult(true);
        }
    }
}
