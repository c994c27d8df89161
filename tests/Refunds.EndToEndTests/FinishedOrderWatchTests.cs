using System.Diagnostics;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// Through the app's host with webhooks switched off, so only polling can find the truth: every refund of an order
/// succeeds (found by the reconciliation timer), then someone refunds the rest "from the Ping++ dashboard". The watch of
/// finished orders finds it within the documented bound (docs/refund-protocol.md: one re-check gap plus one timer period).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FinishedOrderWatchTests(ITestOutputHelper output)
{
    private const string Schedule = "*/2 * * * * *";
    private static readonly TimeSpan TimerPeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LongestGap = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_dashboard_refund_on_an_order_whose_refunds_all_succeeded_appears_in_the_ledger_as_external_with_a_discrepancy()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions
        {
            StorageConnectionString = TestStorage.ConnectionString,
            Webhooks = false,
            ReconcileSchedule = Schedule,
            Settings = new Dictionary<string, string?>
            {
                ["Reconciliation:WatchWindow"] = "00:05:00",
                ["Reconciliation:RecheckSchedule"] = "00:00:02," + LongestGap.ToString(),
            },
        });
        output.WriteLine($"host: {system.Host.Description}");
        var order = await system.Sim.SeedOrderAsync(1000);
        var requests = new[] { "watch-a", "watch-b" }.Select(id => new Refunds.Core.Refunds.RefundRequest
        {
            RequestId = $"{id}-{Guid.NewGuid():N}",
            OrderId = order.Id,
            Description = "退款 " + id,
            Charge = order.ChargeIds[0],
            ChargeAmount = 300,
        }).ToList();
        foreach (var request in requests)
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await RefundApi.SubmitAsync(system.Client, request)).Status);
        }

        // No webhook: the reconciliation timer sees both refunds succeed, and the order leaves the open work.
        await system.WaitForAllAsync([.. requests.Select(r => r.RequestId)], r => r.State == RefundRequestState.Succeeded, TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(
            async () => (await system.Ledger.ListOpenWorkAsync(100, null, CancellationToken.None)).Items.All(i => i.OrderId != order.Id),
            TimeSpan.FromSeconds(30), "the order's open work ends");

        var dashboard = Assert.Single(await system.Sim.DashboardRefundAsync(order.Id, order.ChargeIds[0], 400));
        var clock = Stopwatch.StartNew();
        var found = await Eventually.ReturnsAsync(
            async () => (await system.Ledger.ListOrderAsync(order.Id, CancellationToken.None)).Refunds.FirstOrDefault(r => r.RefundId == dashboard.Id),
            r => r is { Status: PingppRefundStatus.Succeeded },
            TimeSpan.FromSeconds(90), $"dashboard refund {dashboard.Id} succeeded in the ledger", r => r is null ? "not in the ledger" : r.Status.ToString());
        var took = clock.Elapsed;

        Assert.True(found!.External, "recorded as external");
        Assert.Null(found.RequestId);
        Assert.Equal(400, found.Amount);
        var discrepancies = new DiscrepancyStore(system.Storage, TimeProvider.System, system.TableNames.DiscrepanciesTable);
        var finding = Assert.Single(await discrepancies.ListAsync(order.Id, CancellationToken.None), d => d.Kind == DiscrepancyKind.ExternalRefundFound);
        Assert.Equal(dashboard.Id, finding.RefundId);

        // Our two refunds and the dashboard's: the ledger agrees with Ping++ on the order.
        var atPingpp = await system.Sim.GetRefundsAsync(order.Id);
        Assert.Equal(3, atPingpp.Count);
        Assert.Equal(1000, atPingpp.Sum(r => r.Amount));

        // Bound: one gap and one timer period, plus the settle delay and a slow machine's run (the first sighting may
        // be pending, then followed by the open-work check on the next run).
        var bound = LongestGap + TimerPeriod * 3 + TimeSpan.FromSeconds(20);
        output.WriteLine($"dashboard refund in the ledger after {took.TotalSeconds:F1} s (bound {bound.TotalSeconds:F0} s)");
        Assert.True(took <= bound, $"found after {took}, bound {bound}");
    }
}
