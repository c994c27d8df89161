using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// The watch of finished orders on Azurite and the simulator, without webhooks: an order enters the due-time index
/// when its last open work ends, is re-checked at the schedule's steps (only what is due is read), leaves after the
/// window (its end row, one lease after the last step), and a restarted or second runner neither loses nor repeats a step.
/// </summary>
public sealed class OrderWatchTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>10 min, then hourly twice, then daily, for 3 days: re-checks at 10m, 1h10m, 2h10m, 1d2h10m, 2d2h10m and 3d.</summary>
    private static readonly RecheckSchedule Short = RecheckSchedule.TryParse("00:10:00,01:00:00*2,1.00:00:00", TimeSpan.FromDays(3), out _)!;

    [Fact]
    public async Task A_dashboard_refund_on_a_finished_order_is_found_at_the_first_recheck_recorded_as_external_and_as_a_discrepancy()
    {
        await using var h = await ReconcileHarness.StartAsync(watch: Short);
        var order = await FinishedOrderAsync(h, refund: 600, total: 1000);
        var dashboard = Assert.Single(await h.Admin.DashboardRefundAsync(order.Id, order.ChargeIds[0], 400));
        await h.Admin.SettleAsync(order.Id);

        h.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, (await h.Rechecks().RunAsync(None)).Due);
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var run = await h.Rechecks().RunAsync(None);

        Assert.Equal((1, 1, 1, 1, 0), (run.Due, run.Rechecked, run.External, run.PingppCalls, run.Failed));
        var recorded = (await h.Ledger.ListOrderAsync(order.Id, None)).Refunds.Single(r => r.RefundId == dashboard.Id);
        Assert.Equal((true, PingppRefundStatus.Succeeded, 400L, (string?)null), (recorded.External, recorded.Status, recorded.Amount, recorded.RequestId));
        var finding = Assert.Single(await h.Discrepancies.ListAsync(order.Id, None));
        Assert.Equal((DiscrepancyKind.ExternalRefundFound, dashboard.Id), (finding.Kind, finding.RefundId));
        Assert.Contains("succeeded amount 400", finding.PingppView, StringComparison.Ordinal);

        // The next step finds nothing new and records nothing more.
        h.Time.Advance(TimeSpan.FromHours(1));
        var second = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 1, 0, 0), (second.Due, second.Rechecked, second.External, second.Discrepancies));
        Assert.Single(await h.Discrepancies.ListAsync(order.Id, None));
    }

    [Fact]
    public async Task Rechecks_follow_the_decaying_steps_read_only_due_rows_and_the_order_leaves_the_watch_after_the_window()
    {
        await using var h = await ReconcileHarness.StartAsync(watch: Short);
        var order = await FinishedOrderAsync(h, refund: 300, total: 1000);
        var entered = h.Time.GetUtcNow();
        var steps = new[] { TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(70), TimeSpan.FromMinutes(130), new TimeSpan(1, 2, 10, 0), new TimeSpan(2, 2, 10, 0), TimeSpan.FromDays(3) };
        Assert.Equal(steps, Enumerable.Range(0, 7).Select(s => Short.Due(entered, s)).TakeWhile(d => d is not null).Select(d => d!.Value - entered));

        var calls = 0;
        foreach (var (step, i) in steps.Select((s, i) => (s, i)))
        {
            // Just before the step nothing is due; at it, exactly this order once.
            h.Time.SetUtcNow(entered + step - TimeSpan.FromSeconds(30));
            Assert.Empty(await h.Watch!.ListDueAsync(h.Time.GetUtcNow(), 100, None));
            h.Time.SetUtcNow(entered + step);
            var run = await h.Rechecks().RunAsync(None);
            Assert.Equal((1, 1, 0), (run.Due, run.Rechecked, run.Left));
            calls += run.PingppCalls;
        }

        Assert.Equal(steps.Length, calls);
        Assert.NotNull(await h.Watch!.GetWatchAsync(order.Id, None));

        // The end row, one lease (10 minutes here) after the last step, ends the watch without calling Ping++.
        h.Time.Advance(TimeSpan.FromMinutes(10));
        var end = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 0, 1, 0), (end.Due, end.Rechecked, end.Left, end.PingppCalls));
        Assert.Null(await h.Watch.GetWatchAsync(order.Id, None));
        h.Time.Advance(TimeSpan.FromDays(30));
        Assert.Empty(await h.Watch.ListDueAsync(h.Time.GetUtcNow(), 100, None));
        Assert.Empty(await WatchRowsAsync(h));
    }

    [Fact]
    public async Task An_order_that_finishes_again_restarts_its_watch_and_the_old_due_row_is_dropped_unread_when_it_comes_due()
    {
        await using var h = await ReconcileHarness.StartAsync(watch: Short);
        var order = await FinishedOrderAsync(h, refund: 300, total: 1000);
        var first = h.Time.GetUtcNow();
        h.Time.Advance(TimeSpan.FromMinutes(5));
        await h.Watch!.EnterAsync(order.Id, None);

        h.Time.SetUtcNow(first + TimeSpan.FromMinutes(12));
        var old = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 0, 1, 0), (old.Due, old.Rechecked, old.Stale, old.PingppCalls));
        h.Time.SetUtcNow(first + TimeSpan.FromMinutes(15));
        var run = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 1, 0, 1), (run.Due, run.Rechecked, run.Stale, run.PingppCalls));
        Assert.Equal(first + TimeSpan.FromMinutes(5), await h.Watch.GetWatchAsync(order.Id, None));

        // One watch goes on: its next step (an hour later) is the order's only due row.
        h.Time.Advance(TimeSpan.FromHours(1));
        Assert.Single(await h.Watch.ListDueAsync(h.Time.GetUtcNow(), 100, None));
    }

    [Fact]
    public async Task A_step_claimed_by_a_run_that_crashed_is_rechecked_once_after_the_lease_by_a_new_runner()
    {
        await using var h = await ReconcileHarness.StartAsync(watch: Short);
        var order = await FinishedOrderAsync(h, refund: 300, total: 1000);
        h.Time.Advance(TimeSpan.FromMinutes(10));

        // A run claims the step (adds the next step's due row) and dies before re-checking it.
        var due = Assert.Single(await h.Watch!.ListDueAsync(h.Time.GetUtcNow(), 100, None));
        Assert.True((await h.Watch.TryClaimAsync(due, h.Time.GetUtcNow(), TimeSpan.FromMinutes(10), None)).Won);

        // A restarted host within the claim's lease leaves it alone; after it, re-checks it once.
        var during = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 0, 0), (during.Due, during.Rechecked, during.PingppCalls));
        h.Time.Advance(TimeSpan.FromMinutes(11));
        var after = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 1, 1), (after.Due, after.Rechecked, after.PingppCalls));

        // The next step (1h10m after entry) is in place, once.
        h.Time.Advance(TimeSpan.FromHours(1));
        var next = await h.Rechecks().RunAsync(None);
        Assert.Equal((1, 1, 1), (next.Due, next.Rechecked, next.PingppCalls));
        Assert.Equal(2, Assert.Single(await h.Watch.ListDueAsync(h.Time.GetUtcNow() + TimeSpan.FromHours(1), 100, None)).Step);
    }

    [Fact]
    public async Task Two_runners_at_once_recheck_each_due_order_once()
    {
        await using var h = await ReconcileHarness.StartAsync(watch: Short);
        var orders = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            orders.Add((await FinishedOrderAsync(h, refund: 100, total: 500)).Id);
        }

        h.Time.Advance(TimeSpan.FromMinutes(10));
        var runs = await Task.WhenAll(h.Rechecks().RunAsync(None), h.Rechecks().RunAsync(None));

        Assert.Equal(orders.Count, runs.Sum(r => r.Rechecked));
        Assert.Equal(orders.Count, runs.Sum(r => r.PingppCalls));
        Assert.Empty(await h.Watch!.ListDueAsync(h.Time.GetUtcNow(), 100, None));
        var nextSteps = await h.Watch.ListDueAsync(h.Time.GetUtcNow() + TimeSpan.FromHours(1), 100, None);
        Assert.Equal(orders.Order(StringComparer.Ordinal), nextSteps.Select(d => d.OrderId).Order(StringComparer.Ordinal));
        Assert.All(nextSteps, d => Assert.Equal(1, d.Step));
    }

    /// <summary>A paid order with one refund of ours that succeeded, reconciled to the end: its open work is over, so it is watched.</summary>
    private static async Task<SeededOrder> FinishedOrderAsync(ReconcileHarness h, long refund, long total)
    {
        var order = await h.Admin.SeedOrderAsync(total);
        await h.SubmitAsync(order.Id, "r-" + Guid.NewGuid().ToString("N")[..10], order.ChargeIds[0], refund);
        await h.Admin.SettleAsync(order.Id);
        var summary = await h.Reconciler().RunAsync(None);
        Assert.Equal(0, summary.OrdersFailed);
        Assert.NotNull(await h.Watch!.GetWatchAsync(order.Id, None));
        return order;
    }

    private static async Task<List<TableEntity>> WatchRowsAsync(ReconcileHarness h)
    {
        var table = Azurite.Tables().GetTableClient(h.IndexTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey ge {"watch-"} and PartitionKey lt {"watch."}")))
        {
            rows.Add(row);
        }

        return rows;
    }
}
