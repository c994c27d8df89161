using Refunds.Core.Anomalies;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// Payments announced out of order on Azurite and the simulator: a <c>charge.succeeded</c> that comes before any order
/// event is kept and acted on once the order is known; it is never dropped.
/// </summary>
public sealed class AnomalyEarlyPaymentTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A charge id that sorts after the simulator's random ones (newest on a tie of <c>time_paid</c>).</summary>
    private const string Later = "ch_zzzzzzzzzzzzzzzzzzzzz01";

    [Fact]
    public async Task A_second_payment_announced_before_any_order_event_is_kept_and_refunded_once_the_order_event_comes()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000]);
        await h.Admin.PayAgainAsync(seeded.Id, 1000, Later);
        // Both payments' charge.succeeded come first; the order.succeeded of the first payment (one charge) comes last.
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(Later), None);
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(seeded.ChargeIds[0]), None);
        var kept = await h.Anomalies.FindMerchantOrderAsync(seeded.Order.MerchantOrderNo!, None);
        Assert.NotNull(kept);
        Assert.Null(kept.OrderId);
        Assert.Equal([seeded.ChargeIds[0], Later], kept.ChargesWithoutOrder.Order(StringComparer.Ordinal));

        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(seeded.Id), None);
        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(1, summary.AnomalyRefundsEnqueued);
        await AnomalyPlanChangeTests.DrainAsync(h);
        var refund = Assert.Single(await h.Admin.GetRefundsAsync(seeded.Id));
        Assert.Equal((Later, 1000L), (refund.Charge, refund.Amount));
        var known = await h.Anomalies.FindMerchantOrderAsync(seeded.Order.MerchantOrderNo!, None);
        Assert.Equal(seeded.Id, known!.OrderId);
        Assert.Empty(known.ChargesWithoutOrder);
    }

    [Fact]
    public async Task A_first_payment_announced_before_its_order_event_raises_nothing()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000]);
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(seeded.ChargeIds[0]), None);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(seeded.Id), None);

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal((0, 0), (summary.Anomalies, summary.OrdersChecked));
        Assert.Empty((await h.Ledger.ListOpenWorkAsync(100, null, None)).Items);
    }
}
