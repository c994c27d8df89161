using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.UnitTests.Ledger;

public class RefundStatusRulesTests
{
    private static PingppRefund Report(PingppRefundStatus status, long? timeSucceed = null, string? transactionNo = null) => new()
    {
        Id = "re_1",
        Amount = 500,
        Status = status,
        Succeed = status == PingppRefundStatus.Succeeded,
        TimeSucceed = timeSucceed,
        TransactionNo = transactionNo,
        Charge = "ch_1",
    };

    [Fact]
    public void Succeeded_then_pending_stays_succeeded()
    {
        var known = RefundStatusRules.Merge(null, Report(PingppRefundStatus.Succeeded, 1700000000, "tx1"), "o1", "r1", false);
        var merged = RefundStatusRules.Merge(known, Report(PingppRefundStatus.Pending), "o1", "r1", false);
        Assert.Equal(PingppRefundStatus.Succeeded, merged.Status);
        Assert.Equal(known, merged);
    }

    [Fact]
    public void Failed_then_succeeded_stays_failed_and_flags_the_conflict()
    {
        var known = RefundStatusRules.Merge(null, Report(PingppRefundStatus.Failed), "o1", null, true);
        var merged = RefundStatusRules.Merge(known, Report(PingppRefundStatus.Succeeded, 1700000000), "o1", null, true);
        Assert.Equal(PingppRefundStatus.Failed, merged.Status);
        Assert.True(merged.StatusConflict);
        Assert.Null(merged.TimeSucceed);
    }

    [Fact]
    public void Pending_then_succeeded_fills_in_time_and_transaction()
    {
        var known = RefundStatusRules.Merge(null, Report(PingppRefundStatus.Pending), "o1", "r1", false);
        var merged = RefundStatusRules.Merge(known, Report(PingppRefundStatus.Succeeded, 1700000000, "tx9"), "o1", "r1", false);
        Assert.Equal(PingppRefundStatus.Succeeded, merged.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), merged.TimeSucceed);
        Assert.Equal("tx9", merged.TransactionNo);
        Assert.False(merged.StatusConflict);
    }

    [Fact]
    public void External_refund_becomes_ours_when_a_report_names_our_request()
    {
        var known = RefundStatusRules.Merge(null, Report(PingppRefundStatus.Pending), "o1", null, true);
        Assert.True(known.External);
        var merged = RefundStatusRules.Merge(known, Report(PingppRefundStatus.Pending), "o1", "r7", false);
        Assert.False(merged.External);
        Assert.Equal("r7", merged.RequestId);
    }
}
