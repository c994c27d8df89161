using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.EndToEndTests.Support;

/// <summary>The money check every load run ends with: one refund per request at Ping++, and the ledger agreeing on each.</summary>
public static class LedgerAgreement
{
    public static async Task AssertOneSucceededRefundEachAndLedgerAgreesAsync(RefundSystem system, IReadOnlyCollection<RefundRequest> requests)
    {
        var simRefunds = await system.Sim.GetRefundsAsync();
        var byRequest = simRefunds.GroupBy(r => r.RequestId ?? "(none)").ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(requests.Count, simRefunds.Count);
        var final = await system.WaitForAllAsync([.. requests.Select(r => r.RequestId)], _ => true, TimeSpan.FromSeconds(30));
        foreach (var request in requests)
        {
            var refund = Assert.Single(byRequest[request.RequestId]);
            Assert.Equal((request.OrderId, request.ChargeAmount!.Value, "succeeded"), (refund.OrderId, refund.Amount, refund.Status));
            var record = final[request.RequestId];
            Assert.Equal(RefundRequestState.Succeeded, record.State);
            Assert.Equal([refund.RefundId], record.RefundIds);
            var ledgerRefund = await system.Ledger.GetRefundAsync(refund.RefundId, CancellationToken.None);
            Assert.NotNull(ledgerRefund);
            Assert.Equal((PingppRefundStatus.Succeeded, refund.Amount, request.RequestId), (ledgerRefund.Status, ledgerRefund.Amount, ledgerRefund.RequestId));
        }
    }
}
