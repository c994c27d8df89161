using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.UnitTests.Reconciliation;

/// <summary>When a watch re-check may stop after listing the order at Ping++: only when nothing differs from the snapshot.</summary>
public sealed class WatchSnapshotTests
{
    private static readonly WatchSnapshot Snapshot = WatchSnapshot.Of(
    [
        new RefundRecord { RefundId = "re_b", Amount = 300, Status = PingppRefundStatus.Failed },
        new RefundRecord { RefundId = "re_a", Amount = 600, Status = PingppRefundStatus.Succeeded },
    ]);

    private static readonly string[] Listed = ["ref|re_a", "ref|re_b"];

    [Fact]
    public void Ping_and_the_members_list_matching_the_snapshot_settle_the_recheck()
        => Assert.True(Snapshot.Settles(Listed.ToHashSet(), [Refund("re_a", 600, PingppRefundStatus.Succeeded), Refund("re_b", 300, PingppRefundStatus.Failed)]));

    [Theory]
    [InlineData("a refund made elsewhere", "re_a:600:Succeeded,re_b:300:Failed,re_c:100:Succeeded", "ref|re_a,ref|re_b")]
    [InlineData("a status that moved at Ping++", "re_a:600:Failed,re_b:300:Failed", "ref|re_a,ref|re_b")]
    [InlineData("an amount that differs", "re_a:500:Succeeded,re_b:300:Failed", "ref|re_a,ref|re_b")]
    [InlineData("a refund Ping++ no longer lists", "re_a:600:Succeeded", "ref|re_a,ref|re_b")]
    [InlineData("a refund listed twice by Ping++ in place of another", "re_a:600:Succeeded,re_a:600:Succeeded", "ref|re_a,ref|re_b")]
    [InlineData("a refund row the ledger gained since", "re_a:600:Succeeded,re_b:300:Failed", "ref|re_a,ref|re_b,ref|re_c")]
    [InlineData("a refund row listed in place of a snapshot one", "re_a:600:Succeeded,re_b:300:Failed", "ref|re_a,ref|re_x")]
    public void Anything_that_differs_sends_the_recheck_to_the_whole_order(string why, string atPingpp, string listed)
    {
        var refunds = atPingpp.Split(',').Select(r => r.Split(':')).Select(p => Refund(p[0], long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), Enum.Parse<PingppRefundStatus>(p[2]))).ToList();
        Assert.False(Snapshot.Settles(listed.Split(',').ToHashSet(), refunds), why);
    }

    [Fact]
    public void An_overflowed_members_list_always_sends_the_recheck_to_the_whole_order()
        => Assert.False(Snapshot.Settles(null, [Refund("re_a", 600, PingppRefundStatus.Succeeded), Refund("re_b", 300, PingppRefundStatus.Failed)]));

    [Fact]
    public void The_snapshot_reads_back_as_written_and_an_unreadable_one_is_none()
    {
        var read = WatchSnapshot.FromJson(Snapshot.ToJson());
        Assert.Equal(Snapshot.Refunds, read!.Refunds);
        Assert.Empty(WatchSnapshot.FromJson(WatchSnapshot.Of([]).ToJson())!.Refunds);
        Assert.Null(WatchSnapshot.FromJson(null));
        Assert.Null(WatchSnapshot.FromJson("[[\"re_a\",\"Unheard\",1]]"));
        Assert.Null(WatchSnapshot.FromJson("{not json"));
        Assert.Null(WatchSnapshot.FromJson("[[\"re_a\"]]"));
    }

    [Fact]
    public void A_snapshot_too_large_for_a_table_property_is_not_stored_so_the_order_is_read_whole()
    {
        var many = WatchSnapshot.Of(Enumerable.Range(0, 2000).Select(i => new RefundRecord { RefundId = $"re_{i:D24}", Amount = 100, Status = PingppRefundStatus.Succeeded }));
        Assert.True(many.ToJson().Length > WatchSnapshot.MaxStoredChars);
        Assert.Null(WatchSnapshot.FromJson(many.ToStoredJson()));
        Assert.Equal(Snapshot.ToJson(), Snapshot.ToStoredJson());
    }

    private static PingppRefund Refund(string id, long amount, PingppRefundStatus status) => new() { Id = id, Amount = amount, Status = status };
}
