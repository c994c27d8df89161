using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// Automatic anomaly refunds when the plan changes under them (a further payment, the order turning canceled) and
/// payments announced out of order, on Azurite and the simulator: whatever is already in flight counts, so an excess
/// is never refunded twice, and no payment event is dropped.
/// </summary>
public sealed class AnomalyPlanChangeTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Charge ids that sort after the simulator's random ones, so later payments are also newest on a tie of <c>time_paid</c>.</summary>
    private static string LaterCharge(int n) => "ch_zzzzzzzzzzzzzzzzzzzzz" + n.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_further_payment_that_changes_the_plan_while_the_excess_refund_is_queued_never_refunds_more_than_the_excess()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        // Paid in full, then paid again in two parts: the excess (1000) comes back from the full payment alone.
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000]);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(seeded.Id), None);
        await h.Admin.PayAgainAsync(seeded.Id, 600, LaterCharge(1));
        await h.Admin.PayAgainAsync(seeded.Id, 400, LaterCharge(2));
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(LaterCharge(2)), None);
        await h.Reconciler().RunAsync(None);
        var first = Assert.Single(await h.QueuedAsync());
        Assert.Equal((seeded.ChargeIds[0], 1000L), (first.Charge, first.ChargeAmount!.Value));

        // A third payment before that refund is made: the excess is 1100 now, and the new plan takes it from the three
        // later payments (new request ids). The queued 1000 is already committed.
        await h.Admin.PayAgainAsync(seeded.Id, 100, LaterCharge(3));
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(LaterCharge(3)), None);
        var changed = PaymentAnomalyRules.Detect(await h.Client.RetrieveOrderAsync(seeded.Id))!;
        Assert.Equal(1100, changed.AmountToRefund);
        Assert.DoesNotContain(first.RequestId, changed.Refunds.Select(r => r.RequestId));
        await h.Reconciler().RunAsync(None);
        await DrainAsync(h);

        var refunded = (await h.Admin.GetRefundsAsync(seeded.Id)).Where(r => r.Status != "failed").ToList();
        Assert.True(refunded.Sum(r => r.Amount) <= changed.AmountToRefund, $"refunded {refunded.Sum(r => r.Amount)} of an excess of {changed.AmountToRefund}");
        Assert.Equal(first.RequestId, Assert.Single(refunded).RequestId);
        Assert.StartsWith("needs review", Assert.Single(await h.Anomalies.ListAsync(seeded.Id, None)).Outcome);
    }

    [Fact]
    public async Task The_order_turning_canceled_while_the_excess_refund_is_being_sent_adds_no_refund_and_is_left_for_a_person()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var (seeded, excess) = await PaidTwiceWithTheExcessRefundQueuedAsync(h);
        // Recorded in the ledger before it was enqueued; a processor now holds the claim and is about to send.
        Assert.Equal(RefundRequestState.Received, (await h.Ledger.GetRequestAsync(excess.RequestId, None))!.State);
        Assert.Equal(SubmitClaimOutcome.Claimed, (await h.Ledger.TryBeginSubmitAsync(excess.RequestId, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5), None)).Outcome);

        // The order turns canceled: the plan becomes "refund every charge in full", under new request ids.
        await h.Admin.CancelOrderAsync(seeded.Id);
        await h.Ledger.MarkOrderForReconciliationAsync(seeded.Id, "order canceled", None);
        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(0, summary.AnomalyRefundsEnqueued);
        Assert.Equal(excess.RequestId, Assert.Single(await h.QueuedAsync()).RequestId);
        var cancel = Assert.Single(await h.Anomalies.ListAsync(seeded.Id, None), a => a.Kind == AnomalyKind.PaidAfterCancel);
        Assert.StartsWith("needs review", cancel.Outcome);
        Assert.Contains(excess.RequestId, cancel.Outcome, StringComparison.Ordinal);

        // The held claim sends; later runs and deliveries add nothing.
        var created = await h.Client.CreateOrderRefundAsync(seeded.Id, excess.ToCreateOrderRefundRequest());
        await h.Ledger.RecordSubmittedAsync(excess.RequestId, created.Data, None);
        await DrainAsync(h);

        var refunds = await h.Admin.GetRefundsAsync(seeded.Id);
        Assert.Equal((excess.RequestId, 1000L), (Assert.Single(refunds).RequestId, refunds[0].Amount));
        Assert.DoesNotContain((await h.Ledger.ListOrderAsync(seeded.Id, None)).Requests, r => r.State == RefundRequestState.Failed);
    }

    [Fact]
    public async Task A_further_payment_whose_plan_keeps_the_request_in_flight_refunds_only_the_new_excess()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var (seeded, first) = await PaidTwiceWithTheExcessRefundQueuedAsync(h);

        await h.Admin.PayAgainAsync(seeded.Id, 1000, LaterCharge(1));
        await h.Observer.OnOrderPaymentEventAsync(await h.ChargeSucceededEventAsync(LaterCharge(1)), None);
        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(1, summary.AnomalyRefundsEnqueued);
        await DrainAsync(h);
        var refunds = await h.Admin.GetRefundsAsync(seeded.Id);
        Assert.Equal(2000, refunds.Sum(r => r.Amount));
        Assert.Equal(
            [first.RequestId, AnomalyRefundRequestIds.For(seeded.Id, AnomalyKind.Overpaid, LaterCharge(1))],
            refunds.Select(r => r.RequestId!).Order(StringComparer.Ordinal));
        Assert.StartsWith("refund", Assert.Single(await h.Anomalies.ListAsync(seeded.Id, None)).Outcome);
    }

    [Fact]
    public async Task A_run_acting_on_a_stale_view_parks_its_new_requests_when_another_plan_was_recorded_meanwhile()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        var order = await h.Client.RetrieveOrderAsync(seeded.Id);
        // This run read the order's requests before an overlapping run (acting on another plan) recorded its own.
        var staleView = await h.Ledger.ListOrderAsync(seeded.Id, None);
        var other = AnomalyRefundRequestIds.For(seeded.Id, AnomalyKind.PaidAfterCancel, seeded.ChargeIds[0]);
        await h.RecordRequestAsync(seeded.Id, other, seeded.ChargeIds[0], 1000);

        var resolution = await h.Resolver().ResolveAsync(order, [], staleView, None);

        Assert.Equal(0, resolution.Enqueued);
        Assert.StartsWith("needs review", resolution.Outcome);
        Assert.Empty(await h.QueuedAsync());
        var planned = Assert.Single(resolution.Anomaly!.Refunds).RequestId;
        Assert.Equal(RefundRequestState.NeedsReview, (await h.Ledger.GetRequestAsync(planned, None))!.State);
    }

    /// <summary>An order of 1000 paid twice, detected by its order event; the run enqueued the excess refund (1000).</summary>
    private static async Task<(SeededOrder Order, RefundRequest Excess)> PaidTwiceWithTheExcessRefundQueuedAsync(ReconcileHarness h)
    {
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(seeded.Id), None);
        await h.Reconciler().RunAsync(None);
        return (seeded, Assert.Single(await h.QueuedAsync()));
    }

    /// <summary>Delivers, settles and reconciles until nothing moves: every message processed, every grace period passed.</summary>
    internal static async Task DrainAsync(ReconcileHarness h)
    {
        for (var i = 0; i < 3; i++)
        {
            await h.ProcessQueueAsync();
            await h.Admin.SettleAsync();
            h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
            await h.Reconciler().RunAsync(None);
        }

        await h.ProcessQueueAsync();
        await h.Admin.SettleAsync();
    }
}
