using Refunds.Core.Anomalies;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.UnitTests.Reconciliation;

public class PaymentAnomalyRulesTests
{
    private const string OrderId = "2011708070000007521";

    private static PingppCharge Charge(string id, long amount, long paidAt, bool paid = true) => new() { Id = id, Amount = amount, TimePaid = paidAt, Paid = paid };

    private static PingppOrder Order(string status, long actual, params PingppCharge[] charges) => new()
    {
        Id = OrderId,
        Status = status,
        Paid = true,
        ActualAmount = actual,
        Amount = actual,
        AmountPaid = charges.Where(c => c.Paid).Sum(c => c.Amount),
        Charges = new PingppList<PingppCharge> { Data = charges },
    };

    [Fact]
    public void Paid_order_with_amount_paid_equal_to_actual_amount_is_not_an_anomaly()
        => Assert.Null(PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_a", 1000, 100))));

    [Fact]
    public void Canceled_but_paid_order_refunds_every_charge_in_full()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("canceled", 1000, Charge("ch_a", 600, 100), Charge("ch_b", 400, 200)))!;

        Assert.Equal(AnomalyKind.PaidAfterCancel, anomaly.Kind);
        Assert.Equal(1000, anomaly.AmountToRefund);
        Assert.Equal([("ch_b", 400L), ("ch_a", 600L)], anomaly.Refunds.Select(r => (r.ChargeId, r.Amount)));
        Assert.All(anomaly.Refunds, r => Assert.Equal(AnomalyRefundRequestIds.For(OrderId, AnomalyKind.PaidAfterCancel, r.ChargeId), r.RequestId));
    }

    [Fact]
    public void Canceled_order_that_was_also_paid_twice_is_one_paid_after_cancel_anomaly_for_everything()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("canceled", 1000, Charge("ch_a", 1000, 100), Charge("ch_b", 1000, 200)))!;

        Assert.Equal(AnomalyKind.PaidAfterCancel, anomaly.Kind);
        Assert.Equal(2000, anomaly.Refunds.Sum(r => r.Amount));
    }

    [Fact]
    public void A_canceled_order_once_refunded_keeps_the_same_paid_after_cancel_plan_read_from_its_charges()
    {
        var canceled = Order("canceled", 1000, Charge("ch_a", 600, 100), Charge("ch_b", 400, 200));
        // After the first anomaly refund Ping++ says status refunded and paid false (amount_paid - amount_refunded < actual).
        var refunded = canceled with { Status = "refunded", Paid = false, Refunded = true, AmountRefunded = 400 };

        var before = PaymentAnomalyRules.Detect(canceled, knownCanceled: false)!;
        var after = PaymentAnomalyRules.Detect(refunded, knownCanceled: true)!;

        Assert.Equal(AnomalyKind.PaidAfterCancel, after.Kind);
        Assert.Equal(before.AmountToRefund, after.AmountToRefund);
        Assert.Equal(before.Refunds, after.Refunds);
    }

    [Fact]
    public void A_canceled_order_paid_through_a_charge_is_an_anomaly_whatever_its_paid_flag_says()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("canceled", 1000, Charge("ch_a", 1000, 100)) with { Paid = false })!;

        Assert.Equal((AnomalyKind.PaidAfterCancel, 1000L), (anomaly.Kind, anomaly.AmountToRefund));
    }

    [Fact]
    public void A_refunded_order_never_known_as_canceled_and_paid_once_is_not_an_anomaly()
        => Assert.Null(PaymentAnomalyRules.Detect(Order("refunded", 1000, Charge("ch_a", 1000, 100)) with { Paid = false }, knownCanceled: false));

    [Fact]
    public void A_canceled_order_without_a_paid_charge_is_not_an_anomaly()
        => Assert.Null(PaymentAnomalyRules.Detect(Order("canceled", 1000, Charge("ch_a", 1000, 100, paid: false)) with { Paid = true, AmountPaid = 1000 }));

    [Fact]
    public void Excess_comes_back_from_the_most_recently_paid_charge_that_covers_it()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_old", 1000, 100), Charge("ch_new", 1000, 300), Charge("ch_mid", 1000, 200)))!;

        Assert.Equal(AnomalyKind.Overpaid, anomaly.Kind);
        Assert.Equal(2000, anomaly.AmountToRefund);
        // No single charge covers 2000: newest first, each in full until covered.
        Assert.Equal([("ch_new", 1000L), ("ch_mid", 1000L)], anomaly.Refunds.Select(r => (r.ChargeId, r.Amount)));
    }

    [Fact]
    public void A_single_newer_charge_that_covers_the_excess_is_preferred_over_splitting()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_big", 900, 100), Charge("ch_small", 100, 300), Charge("ch_second", 300, 200)))!;

        // Excess 300: ch_small (newest) cannot cover it alone; ch_second (next newest) can.
        var refund = Assert.Single(anomaly.Refunds);
        Assert.Equal(("ch_second", 300L), (refund.ChargeId, refund.Amount));
    }

    [Fact]
    public void Unpaid_charges_are_never_chosen()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("paid", 500, Charge("ch_a", 500, 100), Charge("ch_b", 500, 200), Charge("ch_unpaid", 5000, 300, paid: false)))!;

        Assert.Equal("ch_b", Assert.Single(anomaly.Refunds).ChargeId);
    }

    [Fact]
    public void Equal_payment_times_are_ordered_by_charge_id_so_the_plan_is_the_same_every_time()
    {
        var first = PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_a", 1000, 100), Charge("ch_b", 1000, 100)))!;
        var second = PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_b", 1000, 100), Charge("ch_a", 1000, 100)))!;

        Assert.Equal("ch_b", Assert.Single(first.Refunds).ChargeId);
        Assert.Equal(first.Refunds, second.Refunds);
        Assert.Equal(first.ToRefundRequests().Select(r => r.Fingerprint), second.ToRefundRequests().Select(r => r.Fingerprint));
    }

    [Fact]
    public void Anomaly_refund_requests_are_valid_and_carry_charge_and_amount()
    {
        var anomaly = PaymentAnomalyRules.Detect(Order("paid", 1000, Charge("ch_a", 1000, 100), Charge("ch_b", 1000, 200)))!;

        var request = Assert.Single(anomaly.ToRefundRequests());
        Assert.Empty(RefundRequestRules.Validate(request));
        Assert.Equal(("ch_b", 1000L), (request.Charge, request.ChargeAmount));
        Assert.True(AnomalyRefundRequestIds.TryParse(request.RequestId, out var orderId, out var kind, out var chargeId));
        Assert.Equal((OrderId, AnomalyKind.Overpaid, "ch_b"), (orderId, kind, chargeId));
    }
}
