using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.IntegrationTests.Reconciliation;

namespace Refunds.IntegrationTests.Operations;

/// <summary>An automatic refund of an abnormal payment obeys the approval limits like any other refund.</summary>
public sealed class AnomalyApprovalTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task An_excess_payment_refund_above_the_limit_waits_for_approval_and_is_refunded_once_when_approved()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund, approval: new ApprovalOptions { MaxAmountPerRequest = 500, MaxAmountPerDay = 1_000_000 });
        // Paid twice: the excess of 1000 fen is to come back automatically, above the 500 fen limit.
        var seeded = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(seeded.Id), None);

        var summary = await h.Reconciler().RunAsync(None);
        await AnomalyPlanChangeTests.DrainAsync(h);

        Assert.Equal(0, summary.AnomalyRefundsEnqueued);
        Assert.Empty(await h.Admin.GetRefundsAsync(seeded.Id));
        var held = Assert.Single((await h.Ledger.ListOrderAsync(seeded.Id, None)).Requests);
        Assert.Equal((RefundRequestState.AwaitingApproval, 1000L), (held.State, held.Approval!.Amount));
        Assert.StartsWith("refund awaiting approval", Assert.Single(await h.Anomalies.ListAsync(seeded.Id, None)).Outcome, StringComparison.Ordinal);

        var approved = await new RefundRequestOperations(h.Ledger, h.Queue).ActAsync(held.RequestId, OperatorMove.Approve, "key:master", "confirmed double payment", None);
        Assert.Equal(OperatorOutcome.Done, approved.Outcome);
        await AnomalyPlanChangeTests.DrainAsync(h);

        var refund = Assert.Single(await h.Admin.GetRefundsAsync(seeded.Id));
        Assert.Equal((held.RequestId, 1000L), (refund.RequestId, refund.Amount));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync(held.RequestId, None))!.State);
    }
}
