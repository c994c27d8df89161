using System.Diagnostics.Metrics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Refunds.Core.Anomalies;
using Refunds.Core.Reconciliation;
using Refunds.Functions.Reconciliation;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// The order-list sweep on Azurite and the simulator over real HTTP, with no webhook: orders none of our records point
/// to are found through <c>GET /v1/orders</c>, acted on once, and the walk resumes from its stored cursor.
/// </summary>
public sealed class OrderSweepTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    [Fact]
    public async Task An_order_paid_after_cancel_that_we_never_saw_is_found_and_refunded_once()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var normal = await h.Admin.SeedOrderAsync(1000);
        var canceled = await h.Admin.SeedOrderAsync(1500, status: "canceled");
        StepPastCreation(h);

        var first = await h.Sweep().RunAsync(None);

        Assert.Equal((OrderSweepOutcome.Completed, 2, 1, 1), (first.Outcome, first.OrdersListed, first.OrdersFound, first.AnomalyRefundsEnqueued));
        var queued = Assert.Single(await h.QueuedAsync());
        Assert.Equal((canceled.Id, canceled.ChargeIds[0], 1500L), (queued.OrderId, queued.Charge, queued.ChargeAmount!.Value));
        await h.ProcessQueueAsync();
        var finding = await h.SweepStore.GetFindingAsync(canceled.Id, None);
        Assert.NotNull(finding);
        Assert.StartsWith("paid-after-cancel", finding.Found, StringComparison.Ordinal);
        Assert.Contains("refund requested", finding.Done, StringComparison.Ordinal);
        Assert.Null(await h.SweepStore.GetFindingAsync(normal.Id, None));

        // Not due again within the interval; the next sweep after it finds nothing new and does nothing more.
        Assert.Equal(OrderSweepOutcome.NotDue, (await h.Sweep().RunAsync(None)).Outcome);
        h.Time.Advance(Interval + TimeSpan.FromMinutes(1));
        var second = await h.Sweep().RunAsync(None);

        Assert.Equal((OrderSweepOutcome.Completed, 2, 0, 0), (second.Outcome, second.OrdersListed, second.OrdersFound, second.AnomalyRefundsEnqueued));
        Assert.Empty(await h.QueuedAsync());
        var refund = Assert.Single(await h.Admin.GetRefundsAsync(canceled.Id));
        Assert.Equal(1500, refund.Amount);
        Assert.Empty(await h.Admin.GetRefundsAsync(normal.Id));
    }

    [Fact]
    public async Task A_reported_finding_is_recorded_once_and_a_later_sweep_does_not_examine_the_order_again()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.Report);
        var canceled = await h.Admin.SeedOrderAsync(1500, status: "canceled");
        StepPastCreation(h);

        var first = await h.Sweep().RunAsync(None);
        h.Time.Advance(Interval + TimeSpan.FromMinutes(1));
        var second = await h.Sweep().RunAsync(None);

        // Report mode leaves nothing in the ledger: only the finding keeps the second sweep from acting again.
        Assert.Equal((1, 0, 2), (first.OrdersFound, first.AnomalyRefundsEnqueued, first.PingppCalls));
        Assert.Equal((0, 1), (second.OrdersFound, second.PingppCalls));
        Assert.Equal("reported", (await h.SweepStore.GetFindingAsync(canceled.Id, None))!.Done);
        Assert.Equal("reported", Assert.Single(await h.Anomalies.ListAsync(canceled.Id, None)).Outcome);
        Assert.Empty(await h.QueuedAsync());
        Assert.Empty(await h.Admin.GetRefundsAsync(canceled.Id));
    }

    [Fact]
    public async Task An_order_paid_twice_that_we_never_saw_is_found_and_its_excess_refunded_once()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await h.Admin.SeedOrderAsync(1000);
        await h.Admin.PayAgainAsync(seeded.Id, 1000, "ch_zzzzzzzzzzzzzzzzzzzzz01");
        StepPastCreation(h);

        var first = await h.Sweep().RunAsync(None);
        await h.ProcessQueueAsync();
        h.Time.Advance(Interval + TimeSpan.FromMinutes(1));
        var second = await h.Sweep().RunAsync(None);
        await h.ProcessQueueAsync();

        Assert.Equal((1, 1), (first.OrdersFound, first.AnomalyRefundsEnqueued));
        Assert.Equal((OrderSweepOutcome.Completed, 0, 0), (second.Outcome, second.OrdersFound, second.AnomalyRefundsEnqueued));
        var refund = Assert.Single(await h.Admin.GetRefundsAsync(seeded.Id));
        Assert.Equal(1000, refund.Amount);
        Assert.StartsWith("overpaid", (await h.SweepStore.GetFindingAsync(seeded.Id, None))!.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dashboard_refund_on_an_order_we_never_saw_is_recorded_as_external()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await h.Admin.SeedOrderAsync(1000);
        var dashboard = Assert.Single(await h.Admin.DashboardRefundAsync(seeded.Id, seeded.ChargeIds[0], 300));
        await h.Admin.SettleAsync(seeded.Id);
        StepPastCreation(h);

        var first = await h.Sweep().RunAsync(None);

        Assert.Equal((1, 1, 0), (first.OrdersFound, first.ExternalRefunds, first.AnomalyRefundsEnqueued));
        var recorded = await h.Ledger.GetRefundAsync(dashboard.Id, None);
        Assert.NotNull(recorded);
        Assert.True(recorded.External);
        Assert.Equal((seeded.Id, 300L), (recorded.OrderId, recorded.Amount));
        var finding = (await h.SweepStore.GetFindingAsync(seeded.Id, None))!;
        Assert.Contains(dashboard.Id, finding.Found, StringComparison.Ordinal);
        Assert.Empty(await h.QueuedAsync());

        h.Time.Advance(Interval + TimeSpan.FromMinutes(1));
        var second = await h.Sweep().RunAsync(None);
        Assert.Equal((OrderSweepOutcome.Completed, 0, 0), (second.Outcome, second.OrdersFound, second.ExternalRefunds));
        Assert.Single(await h.Admin.GetRefundsAsync(seeded.Id));
    }

    [Fact]
    public async Task A_sweep_restarted_between_pages_resumes_from_its_cursor_and_covers_every_order_exactly_once()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await SeedAsync(h, 45, canceledAt: [0, 22, 44]);
        StepPastCreation(h);

        var runs = new List<OrderSweepSummary>();
        for (var run = 0; run < 5 && runs.LastOrDefault()?.Outcome != OrderSweepOutcome.Completed; run++)
        {
            // A new sweep instance each run, as after a host restart: only the stored cursor carries the position.
            runs.Add(await h.Sweep(pagesPerRun: 1).RunAsync(None));
            if (runs[^1].Outcome == OrderSweepOutcome.InProgress)
            {
                Assert.Equal(run + 2, (await h.SweepStore.GetCursorAsync(None))!.Value.Cursor.NextPage);
            }
        }

        Assert.Equal([OrderSweepOutcome.InProgress, OrderSweepOutcome.InProgress, OrderSweepOutcome.Completed], runs.Select(r => r.Outcome));
        Assert.Equal([20, 20, 5], runs.Select(r => r.OrdersListed));
        Assert.Equal(3, runs.Sum(r => r.OrdersFound));
        Assert.Equal(3, (await h.Admin.GetApiCallsAsync()).Count(c => c.Method == "GET" && c.Path == "/v1/orders"));
        var queued = await h.QueuedAsync();
        Assert.Equal(new[] { seeded[0], seeded[22], seeded[44] }.Order(), queued.Select(q => q.OrderId).Order());
        foreach (var i in new[] { 0, 22, 44 })
        {
            Assert.NotNull(await h.SweepStore.GetFindingAsync(seeded[i], None));
        }
    }

    [Theory]
    [InlineData(429)]
    [InlineData(403)]
    public async Task A_rate_limit_mid_sweep_stops_it_keeps_the_cursor_and_the_next_run_finishes(int status)
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var seeded = await SeedAsync(h, 25, canceledAt: [0, 24]);
        StepPastCreation(h);

        var first = await h.Sweep(pagesPerRun: 1).RunAsync(None);
        await h.Admin.SetFaultsAsync(new { rate_limit = new { next = 20, status, retry_after_seconds = 0 } });
        var limited = await h.Sweep(pagesPerRun: 1).RunAsync(None);
        var cursorAfterLimit = (await h.SweepStore.GetCursorAsync(None))!.Value.Cursor;
        await h.Admin.ClearFaultsAsync();
        var last = await h.Sweep(pagesPerRun: 1).RunAsync(None);

        Assert.Equal((OrderSweepOutcome.InProgress, 20), (first.Outcome, first.OrdersListed));
        Assert.Equal((OrderSweepOutcome.RateLimited, 0, 2), (limited.Outcome, limited.OrdersListed, limited.NextPage));
        Assert.Equal(2, cursorAfterLimit.NextPage);
        Assert.Equal((OrderSweepOutcome.Completed, 5, 0), (last.Outcome, last.OrdersListed, last.NextPage));
        Assert.Equal(2, first.OrdersFound + last.OrdersFound);
        Assert.Equal(new[] { seeded[0], seeded[24] }.Order(), (await h.QueuedAsync()).Select(q => q.OrderId).Order());
    }

    [Fact]
    public async Task A_rate_limited_sweep_ends_the_timer_run_quietly_with_a_warning_and_a_metric_and_the_next_timer_run_resumes()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund,
            watch: RecheckSchedule.TryParse("00:10:00", TimeSpan.FromDays(1), out _)!);
        var seeded = await SeedAsync(h, 25, canceledAt: [24]);
        StepPastCreation(h);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var runs = new MetricCollector<long>(meters, "Refunds", "refunds.sweep.runs");
        var sweepLog = new FakeLogger<OrderSweep>();
        var metrics = new OrderSweepMetrics(meters);
        OrderSweep Sweep() => new(h.Client, h.Ledger, h.Resolver(), h.SweepStore,
            Options.Create(new OrderSweepOptions { SweepEnabled = true, AppId = new Pingpp.Simulator.SimulatorOptions().AppId, SweepPagesPerRun = 1 }),
            metrics, h.Time, sweepLog);
        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus() };

        await new ReconcileTimerFunction(h.Reconciler(), h.Rechecks(), Sweep(), NullLogger<ReconcileTimerFunction>.Instance).Run(timer, None);
        await h.Admin.SetFaultsAsync(new { rate_limit = new { next = 20, status = 403, retry_after_seconds = 0 } });
        await new ReconcileTimerFunction(h.Reconciler(), h.Rechecks(), Sweep(), NullLogger<ReconcileTimerFunction>.Instance).Run(timer, None);
        var cursorAfterLimit = (await h.SweepStore.GetCursorAsync(None))!.Value.Cursor;
        await h.Admin.ClearFaultsAsync();
        await new ReconcileTimerFunction(h.Reconciler(), h.Rechecks(), Sweep(), NullLogger<ReconcileTimerFunction>.Instance).Run(timer, None);

        Assert.Equal(2, cursorAfterLimit.NextPage);
        Assert.Equal(["InProgress", "RateLimited", "Completed"], runs.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
        var warning = Assert.Single(sweepLog.Collector.GetSnapshot(), r => r.Id.Id == 6205);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("page 2", warning.Message, StringComparison.Ordinal);
        Assert.Contains("status 403", warning.Message, StringComparison.Ordinal);
        Assert.Equal(seeded[24], Assert.Single(await h.QueuedAsync()).OrderId);
        // Page 1 read once; page 2 refused (and its read retries), then read by the next run.
        var listCalls = (await h.Admin.GetApiCallsAsync()).Where(c => c.Path == "/v1/orders").ToList();
        Assert.Single(listCalls, c => c.Query.Contains("page=1&", StringComparison.Ordinal));
        Assert.True(listCalls.Count(c => c.Query.Contains("page=2&", StringComparison.Ordinal)) >= 2);
    }

    /// <summary>Seeds <paramref name="count"/> paid orders (oldest first); the ones at <paramref name="canceledAt"/> are paid after cancel.</summary>
    private static async Task<IReadOnlyList<string>> SeedAsync(ReconcileHarness h, int count, int[] canceledAt)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await h.Admin.SeedOrderAsync(1000 + i, status: canceledAt.Contains(i) ? "canceled" : null)).Id);
        }

        return ids;
    }

    /// <summary>The sweep lists orders created up to its start: the harness clock starts before the orders are seeded.</summary>
    private static void StepPastCreation(ReconcileHarness h) => h.Time.Advance(TimeSpan.FromMinutes(1));
}
