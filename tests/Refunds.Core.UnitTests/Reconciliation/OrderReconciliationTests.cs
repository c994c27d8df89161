using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.UnitTests.Reconciliation;

public class OrderReconciliationTests
{
    private const string OrderId = "2011708070000007521";
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    private static RefundRecord Local(string id, PingppRefundStatus status, long amount = 100, string? requestId = "r1")
        => new() { RefundId = id, OrderId = OrderId, RequestId = requestId, Amount = amount, Status = status };

    private static PingppRefund Remote(string id, PingppRefundStatus status, long amount = 100, string? requestId = "r1", string? failureCode = null)
        => new()
        {
            Id = id, Amount = amount, Status = status, FailureCode = failureCode,
            Metadata = requestId is null ? null : new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
        };

    private static RefundRequestRecord Request(string id, RefundRequestState state, DateTimeOffset updated, DateTimeOffset? leaseUntil = null, int attempt = 1)
        => new() { RequestId = id, OrderId = OrderId, Description = "d", State = state, UpdatedAt = updated, SubmittingSince = updated, LeaseUntil = leaseUntil, Attempt = attempt };

    private static OrderLedger Ledger(IEnumerable<RefundRequestRecord>? requests = null, IEnumerable<RefundRecord>? refunds = null)
        => new(OrderId, null, [.. requests ?? []], [.. refunds ?? []]);

    [Fact]
    public void Pending_refund_that_ended_at_pingpp_is_applied_with_its_failure_code()
    {
        var remote = Remote("re_1", PingppRefundStatus.Failed, failureCode: "REFUND_FAILED");
        var plan = OrderReconciliation.Decide(Ledger(refunds: [Local("re_1", PingppRefundStatus.Pending)]), [remote], null, Now, Grace);

        Assert.Equal("REFUND_FAILED", Assert.Single(plan.Apply).FailureCode);
        Assert.Empty(plan.Discrepancies);
    }

    [Fact]
    public void Refunds_that_agree_need_nothing()
    {
        var plan = OrderReconciliation.Decide(Ledger(refunds: [Local("re_1", PingppRefundStatus.Succeeded)]), [Remote("re_1", PingppRefundStatus.Succeeded)], null, Now, Grace);

        Assert.Empty(plan.Apply);
        Assert.Empty(plan.Discrepancies);
    }

    [Fact]
    public void Unknown_refund_is_applied_so_the_ledger_records_it()
    {
        var plan = OrderReconciliation.Decide(Ledger(), [Remote("re_x", PingppRefundStatus.Succeeded, requestId: null)], null, Now, Grace);

        Assert.Equal("re_x", Assert.Single(plan.Apply).Id);
    }

    [Theory]
    [InlineData(PingppRefundStatus.Succeeded, PingppRefundStatus.Failed, DiscrepancyKind.StatusConflict)]
    [InlineData(PingppRefundStatus.Failed, PingppRefundStatus.Succeeded, DiscrepancyKind.StatusConflict)]
    [InlineData(PingppRefundStatus.Succeeded, PingppRefundStatus.Pending, DiscrepancyKind.LedgerAheadOfPingpp)]
    public void Final_statuses_that_cannot_be_explained_are_discrepancies_and_not_applied(PingppRefundStatus local, PingppRefundStatus remote, DiscrepancyKind kind)
    {
        var plan = OrderReconciliation.Decide(Ledger(refunds: [Local("re_1", local)]), [Remote("re_1", remote)], null, Now, Grace);

        var d = Assert.Single(plan.Discrepancies);
        Assert.Equal(kind, d.Kind);
        Assert.Equal("re_1", d.RefundId);
        Assert.Contains(local.ToString().ToLowerInvariant(), d.LedgerView);
        Assert.Contains(remote.ToString().ToLowerInvariant(), d.PingppView);
        Assert.Empty(plan.Apply);
    }

    [Fact]
    public void Different_amounts_are_a_discrepancy_with_both_views()
    {
        var plan = OrderReconciliation.Decide(Ledger(refunds: [Local("re_1", PingppRefundStatus.Succeeded, 100)]), [Remote("re_1", PingppRefundStatus.Succeeded, 150)], null, Now, Grace);

        var d = Assert.Single(plan.Discrepancies);
        Assert.Equal(DiscrepancyKind.AmountMismatch, d.Kind);
        Assert.Contains("100", d.LedgerView);
        Assert.Contains("150", d.PingppView);
    }

    [Fact]
    public void Ledger_refund_that_pingpp_does_not_list_is_a_discrepancy()
    {
        var plan = OrderReconciliation.Decide(Ledger(refunds: [Local("re_1", PingppRefundStatus.Pending)]), [], null, Now, Grace);

        Assert.Equal(DiscrepancyKind.MissingAtPingpp, Assert.Single(plan.Discrepancies).Kind);
    }

    [Fact]
    public void Order_amount_refunded_is_compared_only_when_nothing_is_pending()
    {
        var order = new PingppOrder { Id = OrderId, AmountRefunded = 300 };
        var settled = OrderReconciliation.Decide(Ledger(), [Remote("re_1", PingppRefundStatus.Succeeded, 100, null), Remote("re_2", PingppRefundStatus.Failed, 200, null)], order, Now, Grace);
        var pending = OrderReconciliation.Decide(Ledger(), [Remote("re_1", PingppRefundStatus.Succeeded, 100, null), Remote("re_2", PingppRefundStatus.Pending, 200, null)], order, Now, Grace);
        var matching = OrderReconciliation.Decide(Ledger(), [Remote("re_1", PingppRefundStatus.Succeeded, 300, null)], order, Now, Grace);

        Assert.Equal(DiscrepancyKind.OrderAmountRefundedMismatch, Assert.Single(settled.Discrepancies).Kind);
        Assert.Empty(pending.Discrepancies);
        Assert.Empty(matching.Discrepancies);
    }

    [Theory]
    [InlineData(RefundRequestState.Received)]
    [InlineData(RefundRequestState.Submitting)]
    [InlineData(RefundRequestState.DeadLettered)]
    public void Stuck_request_whose_refund_exists_at_pingpp_is_adopted_not_applied(RefundRequestState state)
    {
        var request = Request("r1", state, Now.AddMinutes(-1), leaseUntil: Now.AddSeconds(-1));
        var plan = OrderReconciliation.Decide(Ledger([request]), [Remote("re_1", PingppRefundStatus.Pending)], null, Now, Grace);

        var (requestId, refunds) = Assert.Single(plan.Adopt);
        Assert.Equal("r1", requestId);
        Assert.Equal("re_1", Assert.Single(refunds).Id);
        Assert.Empty(plan.Apply);
        Assert.Empty(plan.HandBack);
    }

    [Fact]
    public void Submitting_request_with_a_live_lease_belongs_to_the_processor()
    {
        var request = Request("r1", RefundRequestState.Submitting, Now.AddMinutes(-10), leaseUntil: Now.AddSeconds(5));
        var plan = OrderReconciliation.Decide(Ledger([request]), [Remote("re_1", PingppRefundStatus.Pending)], null, Now, Grace);

        Assert.Empty(plan.Adopt);
        Assert.Empty(plan.Apply);
        Assert.Empty(plan.HandBack);
        Assert.Equal(1, plan.Waiting);
    }

    [Theory]
    [InlineData(RefundRequestState.Received, 3, true)]
    [InlineData(RefundRequestState.Received, 1, false)]
    [InlineData(RefundRequestState.Submitting, 3, true)]
    [InlineData(RefundRequestState.Submitting, 1, false)]
    [InlineData(RefundRequestState.DeadLettered, 30, false)]
    public void Request_without_refund_at_pingpp_is_handed_back_only_after_the_grace_period(RefundRequestState state, int minutesAgo, bool handedBack)
    {
        var request = Request("r1", state, Now.AddMinutes(-minutesAgo), leaseUntil: Now.AddMinutes(-minutesAgo).AddSeconds(1));
        var plan = OrderReconciliation.Decide(Ledger([request]), [], null, Now, Grace);

        Assert.Equal(handedBack, plan.HandBack.Any(r => r.RequestId == "r1"));
        Assert.Empty(plan.Adopt);
    }
}
